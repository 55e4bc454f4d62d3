package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.gateway.application.ModelCatalog;
import io.parley.gateway.application.Unconfigured;
import io.parley.gateway.domain.ModelNotFoundException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code /v1/models} lists and finds the embedding models next to the inference models. */
class EmbeddingModelsTest {

  private static final String STORIES =
      "{\"id\":\"stories\",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"parley\"}";

  private ScriptedInference inference;
  private ScriptedEmbeddings embeddings;

  @BeforeEach
  void start() throws Exception {
    inference = new ScriptedInference();
    embeddings = new ScriptedEmbeddings();
  }

  @AfterEach
  void stop() {
    inference.close();
    embeddings.close();
  }

  private ModelsResource models() {
    return new ModelsResource(
        new ModelCatalog(inference.client(), embeddings.client(), Unconfigured.fineTunedModels()));
  }

  @Test
  void list_holdsInferenceThenEmbeddingModels_ownedByWhatTheServiceSays() throws Exception {
    assertThat(Json.MAPPER.writeValueAsString(models().models()))
        .isEqualTo(
            "{\"object\":\"list\",\"data\":["
                + STORIES
                + ",{\"id\":\"mini\",\"object\":\"model\",\"created\":1690000000,"
                + "\"owned_by\":\"sentence-transformers\"},"
                + "{\"id\":\"matryoshka\",\"object\":\"model\",\"created\":1690000000,"
                + "\"owned_by\":\"sentence-transformers\"}]}");
  }

  @Test
  void get_findsAnEmbeddingModel_andStillAnswers404ForUnknownOnes() {
    var models = models();

    assertThat(models.model("mini").ownedBy()).isEqualTo("sentence-transformers");
    assertThat(models.model("stories").ownedBy()).isEqualTo("parley");
    assertThatThrownBy(() -> models.model("gpt-4"))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessage("The model `gpt-4` does not exist or you do not have access to it.");
  }

  @Test
  void embeddingsServiceFailing_stillListsTheInferenceModels() throws Exception {
    embeddings.listFails.set(true);

    assertThat(Json.MAPPER.writeValueAsString(models().models()))
        .isEqualTo("{\"object\":\"list\",\"data\":[" + STORIES + "]}");
  }

  @Test
  void embeddingsServiceGone_stillListsTheInferenceModels() throws Exception {
    embeddings.close();

    assertThat(Json.MAPPER.writeValueAsString(models().models()))
        .isEqualTo("{\"object\":\"list\",\"data\":[" + STORIES + "]}");
    assertThatThrownBy(() -> models().model("mini")).isInstanceOf(ModelNotFoundException.class);
  }

  @Test
  void embeddingsServiceNotConfigured_listsTheInferenceModels() throws Exception {
    var models =
        new ModelsResource(
            new ModelCatalog(
                inference.client(), Unconfigured.embeddings(), Unconfigured.fineTunedModels()));

    assertThat(Json.MAPPER.writeValueAsString(models.models()))
        .isEqualTo("{\"object\":\"list\",\"data\":[" + STORIES + "]}");
  }
}
