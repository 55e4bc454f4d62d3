package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.parley.gateway.application.ModelCatalog;
import io.parley.gateway.application.Unconfigured;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.ModelNotFoundException;
import io.parley.gateway.domain.PermissionDeniedException;
import io.parley.gateway.domain.Role;
import io.parley.gateway.infrastructure.FineTunedModelsClient;
import io.parley.testing.TestFineTunedModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /v1/models} with the fine-tuned model registry (a real in-process gRPC server): the
 * caller's organization's fine-tuned models are listed, found and deleted; another organization's
 * are not found; readers cannot delete; base models cannot be deleted.
 */
class FineTunedModelsTest {

  private static final String MODEL = "ft:stories:org-a:sfx:ftjob-1";

  @TempDir Path dir;

  private ScriptedInference inference;
  private TestFineTunedModelRegistry registry;
  private Server server;
  private ManagedChannel channel;
  private ModelsResource models;
  private ModelCatalog catalog;

  @BeforeEach
  void start() throws Exception {
    inference = new ScriptedInference();
    registry = new TestFineTunedModelRegistry(1024);
    var adapter = Files.write(dir.resolve("adapter.gguf"), new byte[] {1, 2, 3});
    registry.register(MODEL, "org-a", "stories", adapter);
    var name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(registry).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    catalog =
        new ModelCatalog(
            inference.client(),
            Unconfigured.embeddings(),
            new FineTunedModelsClient(channel, Optional.of("in-process"), 5_000, 1));
    models = new ModelsResource(catalog);
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    inference.close();
  }

  private static Caller caller(String organization, Role role) {
    return new Caller(organization, "user-1", role, "key-1", false);
  }

  @Test
  void list_holdsTheBaseModels_andTheOrganizationsFineTunedModels() throws Exception {
    String created =
        Long.toString(
            registry
                .register(MODEL, "org-a", "stories", dir.resolve("adapter.gguf"))
                .getCreatedAt());

    assertThat(Json.MAPPER.writeValueAsString(models.models("org-a")))
        .isEqualTo(
            "{\"object\":\"list\",\"data\":[{\"id\":\"stories\",\"object\":\"model\","
                + "\"created\":1700000000,\"owned_by\":\"parley\"},{\"id\":\""
                + MODEL
                + "\",\"object\":\"model\",\"created\":"
                + created
                + ",\"owned_by\":\"org-a\"}]}");
    assertThat(Json.MAPPER.writeValueAsString(models.models("org-b")))
        .doesNotContain(MODEL)
        .contains("stories");
  }

  @Test
  void get_findsTheOrganizationsModel_and404sAnotherOrganizations() {
    assertThat(models.model("org-a", MODEL).ownedBy()).isEqualTo("org-a");
    assertThatThrownBy(() -> models.model("org-b", MODEL))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessage("The model `" + MODEL + "` does not exist or you do not have access to it.");
  }

  @Test
  void delete_byAnOwner_removesIt() {
    catalog.delete(caller("org-a", Role.OWNER), MODEL);

    assertThatThrownBy(() -> models.model("org-a", MODEL))
        .isInstanceOf(ModelNotFoundException.class);
  }

  @Test
  void delete_byAReader_is403_andKeepsIt() {
    assertThatThrownBy(() -> catalog.delete(caller("org-a", Role.READER), MODEL))
        .isInstanceOfSatisfying(
            PermissionDeniedException.class, e -> assertThat(e.status()).isEqualTo(403));
    assertThat(models.model("org-a", MODEL).id()).isEqualTo(MODEL);
  }

  @Test
  void delete_ofAnotherOrganizationsModel_is404_andKeepsIt() {
    assertThatThrownBy(() -> catalog.delete(caller("org-b", Role.OWNER), MODEL))
        .isInstanceOf(ModelNotFoundException.class);
    assertThat(models.model("org-a", MODEL).id()).isEqualTo(MODEL);
  }

  @Test
  void delete_ofABaseModel_is403_andOfAnUnknownModel404() {
    assertThatThrownBy(() -> catalog.delete(caller("org-a", Role.OWNER), "stories"))
        .isInstanceOfSatisfying(
            PermissionDeniedException.class, e -> assertThat(e.status()).isEqualTo(403));
    assertThatThrownBy(() -> catalog.delete(caller("org-a", Role.OWNER), "gpt-4"))
        .isInstanceOf(ModelNotFoundException.class);
  }
}
