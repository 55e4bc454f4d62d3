package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.Channels;
import io.parley.common.grpc.GrpcServerRunner;
import io.parley.common.grpc.security.CallerPolicy;
import io.parley.common.grpc.security.GrpcSecurity;
import io.parley.common.grpc.security.MutualTls;
import io.parley.common.grpc.security.ServiceIdentity;
import io.parley.finetuning.v1.FineTuningServiceGrpc;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.InferenceServiceGrpc;
import io.parley.inference.v1.SamplingParams;
import io.parley.inference.v1.TextPrompt;
import io.parley.testing.LibertyServer;
import io.parley.testing.Ports;
import io.parley.testing.TestAdapters;
import io.parley.testing.TestCertificates;
import io.parley.testing.TestFineTunedModelRegistry;
import io.parley.testing.TestModels;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Fine-tuned models served by the real inference server (a Liberty process) from a real gRPC
 * registry over mutual TLS: the test fixture {@link TestFineTunedModelRegistry} stands in for the
 * files service's registry, as identity {@code files}, serving a LoRA adapter file for stories260K.
 * The real gateway and usage servers (on PostgreSQL) show the models per organization and delete
 * them.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FineTunedModelsIT {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String BASE = ParleyStack.MODEL;
  static final String PROMPT = "Once upon a time";
  static final long LOOKUP_TTL_MS = 1000;
  static final String POSTGRES = "jdbc:postgresql://127.0.0.1:5432/";

  static Path output;
  static TestCertificates certs;
  static TestFineTunedModelRegistry registry;
  static GrpcServerRunner registryServer;
  static LibertyServer inference;
  static LibertyServer usage;
  static LibertyServer gateway;
  static MutualTls gatewayIdentity;
  static ManagedChannel channel;
  static InferenceServiceGrpc.InferenceServiceBlockingStub stub;
  static final String database = "parley_ft_" + Long.toHexString(System.nanoTime());
  static final String adminKey = "sk-admin-" + Long.toHexString(System.nanoTime()) + "0123456789ab";
  static int gatewayPort;
  static Path adapter;
  static String baseText;
  static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    var root = Path.of(System.getProperty("parley.root", "../..")).toAbsolutePath().normalize();
    output = root.resolve("modules/system-tests/target/servers/fine-tuned");
    Files.createDirectories(output);
    certs = TestCertificates.create(output.resolve("tls"));
    adapter = TestAdapters.write(output.resolve("adapter.gguf"), 42, 0.5);

    registry = new TestFineTunedModelRegistry(4096);
    var registryPort = Ports.free();
    var fineTuning = FineTuningServiceGrpc.getServiceDescriptor();
    registryServer =
        new GrpcServerRunner(
            "127.0.0.1",
            registryPort,
            GrpcSecurity.of(
                certs.certFile(ServiceIdentity.FILES),
                certs.keyFile(ServiceIdentity.FILES),
                certs.caFile(),
                Duration.ofSeconds(30)),
            CallerPolicy.builder()
                .allowAll(fineTuning, ServiceIdentity.OPERATOR)
                .allow(
                    FineTuningServiceGrpc.getGetFineTunedModelMethod(),
                    ServiceIdentity.INFERENCE,
                    ServiceIdentity.GATEWAY)
                .allow(
                    FineTuningServiceGrpc.getGetAdapterContentMethod(), ServiceIdentity.INFERENCE)
                .allow(
                    List.of(
                        FineTuningServiceGrpc.getListFineTunedModelsMethod(),
                        FineTuningServiceGrpc.getDeleteFineTunedModelMethod()),
                    ServiceIdentity.GATEWAY)
                .build(),
            List.of(registry),
            List.of(),
            io.parley.common.grpc.ConnectionLifetime.defaults(Duration.ofSeconds(1)),
            false,
            1);

    var inferenceHttp = Ports.free();
    var inferenceGrpc = Ports.free();
    inference =
        LibertyServer.start(
            root,
            "inference",
            output,
            Map.of(
                "HTTP_PORT", Integer.toString(inferenceHttp),
                "PARLEY_GRPC_PORT", Integer.toString(inferenceGrpc),
                "PARLEY_INFERENCE_MODELS", BASE,
                "PARLEY_INFERENCE_MODEL_STORIES260K_PATH", TestModels.stories260k().toString(),
                "PARLEY_INFERENCE_THREADS", "1",
                "PARLEY_INFERENCE_SLOTS", "4",
                "PARLEY_INFERENCE_CACHE_DIR", output.resolve("cache").toString(),
                "PARLEY_FILES_TARGET", "127.0.0.1:" + registryPort,
                "PARLEY_INFERENCE_ADAPTERS_LOOKUP_TTL_MS", Long.toString(LOOKUP_TTL_MS)),
            certs);

    var keyFile = output.resolve("admin-key");
    Files.writeString(keyFile, adminKey + "\n");
    try (var c = DriverManager.getConnection(POSTGRES + "postgres", "postgres", "")) {
      c.createStatement().execute("CREATE DATABASE " + database);
    }
    var usageHttp = Ports.free();
    var usageGrpc = Ports.free();
    usage =
        LibertyServer.start(
            root,
            "usage",
            output,
            Map.of(
                "HTTP_PORT", Integer.toString(usageHttp),
                "PARLEY_GRPC_PORT", Integer.toString(usageGrpc),
                "PARLEY_USAGE_DB_URL", POSTGRES + database,
                "PARLEY_USAGE_DB_USER", "postgres",
                "PARLEY_USAGE_BOOTSTRAP_KEY_FILE", keyFile.toString()),
            certs);
    gatewayPort = Ports.free();
    var env = new HashMap<String, String>();
    env.put("HTTP_PORT", Integer.toString(gatewayPort));
    env.put("PARLEY_INFERENCE_TARGET", "127.0.0.1:" + inferenceGrpc);
    env.put("PARLEY_USAGE_TARGET", "127.0.0.1:" + usageGrpc);
    env.put("PARLEY_FILES_TARGET", "127.0.0.1:" + registryPort);
    env.put("PARLEY_GATEWAY_ADMIN_KEY_FILE", keyFile.toString());
    env.put("PARLEY_GATEWAY_ADMIN_KEY_GENERATE", "false");
    gateway = LibertyServer.start(root, "gateway", output.resolve("gw"), env, certs);

    inference.awaitReady(
        URI.create("http://127.0.0.1:" + inferenceHttp + "/health/ready"), Duration.ofMinutes(3));
    usage.awaitReady(
        URI.create("http://127.0.0.1:" + usageHttp + "/health/ready"), Duration.ofMinutes(3));
    gateway.awaitReady(
        URI.create("http://127.0.0.1:" + gatewayPort + "/health/ready"), Duration.ofMinutes(3));

    gatewayIdentity =
        MutualTls.load(
            GrpcSecurity.of(
                certs.certFile("gateway"),
                certs.keyFile("gateway"),
                certs.caFile(),
                Duration.ofSeconds(30)));
    channel = Channels.open("127.0.0.1:" + inferenceGrpc, 16 << 20, gatewayIdentity, "inference");
    stub = InferenceServiceGrpc.newBlockingStub(channel);
    baseText = generate(BASE, "org-x");
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) {
      Channels.close(channel);
    }
    if (gatewayIdentity != null) {
      gatewayIdentity.close();
    }
    try {
      if (gateway != null) {
        gateway.close();
      }
      if (usage != null) {
        usage.close();
      }
      if (inference != null) {
        inference.close();
      }
    } finally {
      if (registryServer != null) {
        registryServer.close();
      }
      try (var c = DriverManager.getConnection(POSTGRES + "postgres", "postgres", "")) {
        c.createStatement().execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
      }
    }
  }

  static String generate(String model, String organization) {
    return stub.withDeadlineAfter(60, TimeUnit.SECONDS)
        .generate(
            GenerateRequest.newBuilder()
                .setModel(model)
                .setRequestId("req-" + System.nanoTime())
                .setOrganization(organization)
                .setText(TextPrompt.newBuilder().setText(PROMPT))
                .setMaxTokens(24)
                .setN(1)
                .setBestOf(1)
                .setSampling(SamplingParams.newBuilder().setTemperature(0).setTopP(1))
                .build())
        .getChoices(0)
        .getText();
  }

  @Test
  @Order(1)
  void fineTunedModel_answersDifferentlyFromItsBase_fromFirstUse() {
    String model = "ft:stories260k:org-x:sfx:ftjob-1";
    long registered = System.nanoTime();
    registry.register(model, "org-x", BASE, adapter);
    String first = generate(model, "org-x");
    long firstAnswerMs = (System.nanoTime() - registered) / 1_000_000;
    System.out.printf(
        "fine-tuned model: registration to first answer %d ms (adapter fetch + load + 24 tokens)%n",
        firstAnswerMs);

    assertThat(first).isNotEmpty().isNotEqualTo(baseText);
    assertThat(generate(model, "org-x")).isEqualTo(first);
    assertThat(generate(BASE, "org-x")).isEqualTo(baseText);
    assertThat(registry.contentCalls()).isEqualTo(1);
  }

  @Test
  @Order(2)
  void legacyFineTunedId_isServedToo() {
    String model = "stories260k:ft-org-x:sfx-2026-11-26";
    registry.register(model, "org-x", BASE, adapter);

    assertThat(generate(model, "org-x")).isNotEqualTo(baseText);
  }

  @Test
  @Order(3)
  void anotherOrganization_getsNotFound_likeForAModelThatDoesNotExist() {
    String model = "ft:stories260k:org-x:sfx:ftjob-1";

    for (String id : List.of(model, "ft:stories260k:org-x:none:ftjob-9")) {
      assertThatThrownBy(() -> generate(id, "org-y"))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                assertThat(e.getStatus().getDescription())
                    .isEqualTo(
                        "The model `" + id + "` does not exist or you do not have access to it.");
              });
    }
  }

  @Test
  @Order(4)
  void baseAndFineTunedRequestsInterleaved_eachGiveTheirOwnGreedyAnswer() throws Exception {
    String model = "ft:stories260k:org-x:sfx:ftjob-1";
    String tuned = generate(model, "org-x");
    var pool = Executors.newFixedThreadPool(8);
    try {
      var base = new ArrayList<CompletableFuture<String>>();
      var fine = new ArrayList<CompletableFuture<String>>();
      for (int i = 0; i < 6; i++) {
        base.add(CompletableFuture.supplyAsync(() -> generate(BASE, "org-x"), pool));
        fine.add(CompletableFuture.supplyAsync(() -> generate(model, "org-x"), pool));
      }
      for (var f : base) {
        assertThat(f.get(120, TimeUnit.SECONDS)).isEqualTo(baseText);
      }
      for (var f : fine) {
        assertThat(f.get(120, TimeUnit.SECONDS)).isEqualTo(tuned);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  @Order(5)
  void deletedModel_stopsBeingServed_afterTheLookupTtl() throws Exception {
    String model = "ft:stories260k:org-x:gone:ftjob-3";
    registry.register(model, "org-x", BASE, adapter);
    generate(model, "org-x");

    registry.remove(model);
    Thread.sleep(LOOKUP_TTL_MS + 500);

    assertThatThrownBy(() -> generate(model, "org-x"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
  }

  // ---- through the gateway

  record Reply(int status, JsonNode body) {}

  static Reply call(String method, String path, String key, String org, String body)
      throws Exception {
    var builder =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + "/v1" + path))
            .timeout(Duration.ofSeconds(60))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    builder.header("Authorization", "Bearer " + key);
    if (org != null) {
      builder.header("OpenAI-Organization", org);
    }
    if (body != null) {
      builder.header("Content-Type", "application/json");
    }
    var response = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json = response.body().isBlank() ? JSON.nullNode() : JSON.readTree(response.body());
    return new Reply(response.statusCode(), json);
  }

  record Org(String id, String ownerKey) {}

  static Org organization(String name) throws Exception {
    var created =
        call(
            "POST",
            "/organizations",
            adminKey,
            null,
            "{\"name\":\"" + name + "\",\"owner\":\"owner@" + name + ".test\"}");
    assertThat(created.status()).as(created.body().toString()).isEqualTo(200);
    var org = created.body().path("id").asText();
    var owner = created.body().path("owner").asText();
    var key =
        call(
            "POST",
            "/organization/api_keys",
            adminKey,
            org,
            "{\"name\":\"owner key\",\"user_id\":\"" + owner + "\"}");
    assertThat(key.status()).as(key.body().toString()).isEqualTo(200);
    return new Org(org, key.body().path("value").asText());
  }

  static String readerKey(Org org) throws Exception {
    var member =
        call(
            "POST",
            "/organization/users",
            adminKey,
            org.id(),
            "{\"email\":\"reader@" + org.id() + ".test\",\"role\":\"reader\"}");
    assertThat(member.status()).as(member.body().toString()).isEqualTo(200);
    var key =
        call(
            "POST",
            "/organization/api_keys",
            adminKey,
            org.id(),
            "{\"name\":\"reader\",\"user_id\":\"" + member.body().path("id").asText() + "\"}");
    assertThat(key.status()).as(key.body().toString()).isEqualTo(200);
    return key.body().path("value").asText();
  }

  static String path(String id) {
    return "/models/" + URLEncoder.encode(id, StandardCharsets.UTF_8);
  }

  static List<String> ids(Reply list) {
    var out = new ArrayList<String>();
    list.body().path("data").forEach(m -> out.add(m.path("id").asText()));
    return out;
  }

  @Test
  @Order(10)
  void gateway_listsGetsServesAndDeletesAnOrganizationsFineTunedModels() throws Exception {
    var acme = organization("acme");
    var globex = organization("globex");
    var reader = readerKey(acme);
    String model = "ft:stories260k:" + acme.id() + ":shop:ftjob-10";
    var registered = registry.register(model, acme.id(), BASE, adapter);

    // listed for acme, with owned_by and created from the registry; not for globex
    var acmeList = call("GET", "/models", acme.ownerKey(), null, null);
    assertThat(acmeList.status()).isEqualTo(200);
    assertThat(ids(acmeList)).contains(BASE, model);
    var entry =
        JSON.createObjectNode()
            .put("id", model)
            .put("object", "model")
            .put("created", registered.getCreatedAt())
            .put("owned_by", acme.id());
    assertThat(acmeList.body().path("data").toString()).contains(entry.toString());
    assertThat(ids(call("GET", "/models", reader, null, null))).contains(model);
    assertThat(ids(call("GET", "/models", globex.ownerKey(), null, null)))
        .contains(BASE)
        .doesNotContain(model);

    // one model: acme's to acme, not found to globex
    var got = call("GET", path(model), acme.ownerKey(), null, null);
    assertThat(got.status()).isEqualTo(200);
    assertThat(got.body().toString()).isEqualTo(entry.toString());
    var hidden = call("GET", path(model), globex.ownerKey(), null, null);
    assertThat(hidden.status()).isEqualTo(404);
    assertThat(hidden.body().path("error").path("code").asText()).isEqualTo("model_not_found");
    assertThat(hidden.body().path("error").path("type").asText())
        .isEqualTo("invalid_request_error");

    // completions pass the fine-tuned model through to inference, for acme only
    String completion =
        "{\"model\":\""
            + model
            + "\",\"prompt\":\""
            + PROMPT
            + "\",\"max_tokens\":24,\"temperature\":0}";
    var answer = call("POST", "/completions", acme.ownerKey(), null, completion);
    assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
    assertThat(answer.body().path("model").asText()).isEqualTo(model);
    assertThat(answer.body().path("choices").path(0).path("text").asText())
        .isEqualTo(generate(model, acme.id()))
        .isNotEqualTo(baseText);
    var refused = call("POST", "/completions", globex.ownerKey(), null, completion);
    assertThat(refused.status()).isEqualTo(404);
    assertThat(refused.body().path("error").path("code").asText()).isEqualTo("model_not_found");

    // deletion: owners only, own organization only, fine-tuned models only
    var byReader = call("DELETE", path(model), reader, null, null);
    assertThat(byReader.status()).isEqualTo(403);
    assertThat(byReader.body().path("error").path("code").asText()).isEqualTo("permission_error");
    var byGlobex = call("DELETE", path(model), globex.ownerKey(), null, null);
    assertThat(byGlobex.status()).isEqualTo(404);
    assertThat(byGlobex.body().path("error").path("code").asText()).isEqualTo("model_not_found");
    var baseModel = call("DELETE", path(BASE), acme.ownerKey(), null, null);
    assertThat(baseModel.status()).isEqualTo(403);
    var unknown =
        call("DELETE", path("ft:stories260k:nope:x:ftjob-0"), acme.ownerKey(), null, null);
    assertThat(unknown.status()).isEqualTo(404);

    var deleted = call("DELETE", path(model), acme.ownerKey(), null, null);
    assertThat(deleted.status()).as(deleted.body().toString()).isEqualTo(200);
    assertThat(deleted.body())
        .isEqualTo(
            JSON.createObjectNode().put("id", model).put("object", "model").put("deleted", true));
    assertThat(ids(call("GET", "/models", acme.ownerKey(), null, null))).doesNotContain(model);
    assertThat(call("GET", path(model), acme.ownerKey(), null, null).status()).isEqualTo(404);

    Thread.sleep(LOOKUP_TTL_MS + 500);
    var afterDelete = call("POST", "/completions", acme.ownerKey(), null, completion);
    assertThat(afterDelete.status()).isEqualTo(404);
  }
}
