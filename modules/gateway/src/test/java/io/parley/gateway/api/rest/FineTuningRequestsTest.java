package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.finetuning.v1.Hyperparameters;
import io.parley.finetuning.v1.Job;
import io.parley.finetuning.v1.JobApi;
import io.parley.finetuning.v1.JobStatus;
import io.parley.gateway.domain.InvalidRequestException;
import org.junit.jupiter.api.Test;

/** Reading fine-tuning requests and writing OpenAI's job objects, without a server. */
class FineTuningRequestsTest {

  static ObjectNode json(String text) throws Exception {
    return (ObjectNode) Json.MAPPER.readTree(text);
  }

  static String paramOf(Runnable parse) {
    try {
      parse.run();
    } catch (InvalidRequestException e) {
      return e.param().orElse(null);
    }
    throw new AssertionError("accepted");
  }

  @Test
  void create_readsMethodHyperparameters_andAutoMeansAbsent() throws Exception {
    var request =
        FineTuningJobsResource.parse(
            json(
                "{\"model\":\"m\",\"training_file\":\"file-a\",\"seed\":3,\"suffix\":\"s\","
                    + "\"metadata\":{\"k\":\"v\"},\"method\":{\"type\":\"supervised\",\"supervised\":"
                    + "{\"hyperparameters\":{\"n_epochs\":3,\"batch_size\":\"auto\"}}}}"));

    assertThat(request.getModel()).isEqualTo("m");
    assertThat(request.getApi()).isEqualTo(JobApi.JOB_API_FINE_TUNING);
    assertThat(request.getHyperparameters().getNEpochs()).isEqualTo(3);
    assertThat(request.getHyperparameters().hasBatchSize()).isFalse();
    assertThat(request.getSeed()).isEqualTo(3);
    assertThat(request.getMetadataMap()).containsEntry("k", "v");
    assertThat(request.getMethod()).isEqualTo("supervised");
  }

  @Test
  void create_badFields_nameTheirParam() {
    String base = "\"model\":\"m\",\"training_file\":\"file-a\"";
    assertThat(paramOf(() -> parse("{" + base + ",\"x\":1}"))).isEqualTo("x");
    assertThat(paramOf(() -> parse("{\"training_file\":\"file-a\"}"))).isEqualTo("model");
    assertThat(paramOf(() -> parse("{" + base + ",\"hyperparameters\":{\"n_epochs\":51}}")))
        .isEqualTo("hyperparameters.n_epochs");
    assertThat(
            paramOf(
                () -> parse("{" + base + ",\"hyperparameters\":{\"learning_rate_multiplier\":0}}")))
        .isEqualTo("hyperparameters.learning_rate_multiplier");
    assertThat(paramOf(() -> parse("{" + base + ",\"hyperparameters\":{\"warmup\":1}}")))
        .isEqualTo("hyperparameters.warmup");
    assertThat(paramOf(() -> parse("{" + base + ",\"method\":{\"type\":\"dpo\"}}")))
        .isEqualTo("method.type");
    assertThat(paramOf(() -> parse("{" + base + ",\"suffix\":\"" + "a".repeat(65) + "\"}")))
        .isEqualTo("suffix");
    assertThat(paramOf(() -> parse("{" + base + ",\"seed\":-1}"))).isEqualTo("seed");
    assertThat(paramOf(() -> parse("{" + base + ",\"integrations\":[{}]}")))
        .isEqualTo("integrations");
    assertThat(
            paramOf(
                () ->
                    parse(
                        "{"
                            + base
                            + ",\"hyperparameters\":{},\"method\":{\"type\":\"supervised\","
                            + "\"supervised\":{\"hyperparameters\":{}}}}")))
        .isEqualTo("hyperparameters");
  }

  void parse(String text) {
    try {
      FineTuningJobsResource.parse(json(text));
    } catch (InvalidRequestException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void legacyCreate_readsItsFields_andRefusesClassificationMetrics() throws Exception {
    var request =
        FineTunesResource.parse(
            json(
                "{\"training_file\":\"file-a\",\"model\":\"m\",\"n_epochs\":2,"
                    + "\"prompt_loss_weight\":0.1,\"compute_classification_metrics\":false}"));
    assertThat(request.getApi()).isEqualTo(JobApi.JOB_API_LEGACY);
    assertThat(request.getHyperparameters().getPromptLossWeight()).isEqualTo(0.1);

    assertThatThrownBy(
            () ->
                FineTunesResource.parse(
                    json(
                        "{\"training_file\":\"file-a\",\"model\":\"m\","
                            + "\"compute_classification_metrics\":true}")))
        .isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("not supported");
  }

  @Test
  void jobObject_hasOpenAisShape_autoUntilResolved_andANullError() throws Exception {
    var queued =
        Job.newBuilder()
            .setId("ftjob-1")
            .setOrganization("org-a")
            .setModel("m")
            .setTrainingFile("file-a")
            .setStatus(JobStatus.JOB_STATUS_QUEUED)
            .setCreatedAt(10)
            .setSeed(5)
            .build();
    var tree = Json.MAPPER.readTree(Json.bytes(FineTuningObjects.job(queued)));

    assertThat(tree.path("object").asText()).isEqualTo("fine_tuning.job");
    assertThat(tree.path("status").asText()).isEqualTo("queued");
    assertThat(tree.has("error")).isTrue();
    assertThat(tree.path("error").isNull()).isTrue();
    assertThat(tree.path("fine_tuned_model").isNull()).isTrue();
    assertThat(tree.path("hyperparameters").path("n_epochs").asText()).isEqualTo("auto");
    assertThat(tree.path("method").path("type").asText()).isEqualTo("supervised");
    assertThat(tree.path("result_files").isArray()).isTrue();

    var failed =
        queued.toBuilder()
            .setStatus(JobStatus.JOB_STATUS_FAILED)
            .setErrorCode("invalid_training_file")
            .setErrorMessage("Line 3")
            .setErrorParam("training_file")
            .setHyperparameters(Hyperparameters.newBuilder().setNEpochs(3))
            .build();
    var f = Json.MAPPER.readTree(Json.bytes(FineTuningObjects.job(failed)));
    assertThat(f.path("error").path("code").asText()).isEqualTo("invalid_training_file");
    assertThat(f.path("error").path("param").asText()).isEqualTo("training_file");
    assertThat(f.path("hyperparameters").path("n_epochs").asInt()).isEqualTo(3);
    assertThat(FineTuningObjects.legacyStatus(JobStatus.JOB_STATUS_QUEUED)).isEqualTo("pending");
  }
}
