package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.openai.client.OpenAIClient;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FilePurpose;
import com.openai.models.finetuning.jobs.FineTuningJob;
import com.openai.models.finetuning.jobs.FineTuningJobEvent;
import com.openai.models.finetuning.jobs.JobCreateParams;
import com.openai.models.finetuning.jobs.JobListEventsParams;
import com.openai.models.finetuning.jobs.checkpoints.FineTuningJobCheckpoint;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Fine-tuning through the gateway with the official openai-java SDK, against real usage, files and
 * gateway Liberty servers on PostgreSQL, the files service running the real {@code parley-trainer}
 * (LoRA on stories260K) as a child process: a job from upload to a registered model with events,
 * checkpoints, a result file and one usage record; refused inputs; tenancy on every route; cancel,
 * pause and resume; the legacy API with its event stream; and a trainer killed with SIGKILL
 * mid-training, resumed from its checkpoint, succeeding once and billed once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FineTuningIT {

  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String BASE = "stories260k";

  static FilesStack stack;
  static FilesIT.Org acme;
  static FilesIT.Org other;
  static String trainingFile;
  static String succeededJob;

  /**
   * Settings of a files service that trains stories260K (model id {@link #BASE}) with the real
   * {@code parley-trainer} as a child process, on one thread, two jobs at a time.
   */
  static Map<String, String> trainerEnvironment() {
    var root = Path.of(System.getProperty("parley.root", "../..")).toAbsolutePath().normalize();
    var model = root.resolve("../shared/models/stories260K.gguf").normalize();
    var jar = root.resolve("modules/trainer/target/parley-trainer.jar");
    assertThat(model).exists();
    assertThat(jar).exists();
    return Map.of(
        "PARLEY_FINETUNING_BASE_MODELS", BASE + "=" + model,
        "PARLEY_FINETUNING_TRAINER_JAR", jar.toString(),
        "PARLEY_FINETUNING_TRAINER_JAVA",
            Path.of(System.getProperty("parley.java.home", System.getProperty("java.home")))
                .resolve("bin/java")
                .toString(),
        "PARLEY_FINETUNING_TRAINER_THREADS", "1",
        "PARLEY_FINETUNING_TRAINER_JAVA_OPTIONS", "-Xmx512m",
        "PARLEY_FINETUNING_MAX_CONCURRENT_JOBS", "2",
        "PARLEY_FINETUNING_MAX_CONCURRENT_JOBS_PER_ORGANIZATION", "2",
        "PARLEY_FINETUNING_HEARTBEAT_MS", "500",
        "PARLEY_FINETUNING_POLL_MS", "500");
  }

  @BeforeAll
  static void start() throws Exception {
    stack = new FilesStack(trainerEnvironment());
    FilesIT.stack = stack;
    acme = FilesIT.organization("acme");
    other = FilesIT.organization("other");
    trainingFile = upload(acme, "garden.jsonl", chat(10), FilePurpose.FINE_TUNE);
  }

  @AfterAll
  static void stop() {
    FilesIT.stack = null;
    if (stack != null) {
      stack.close();
    }
  }

  static String chat(int n) {
    var out = new StringBuilder();
    for (int i = 0; i < n; i++) {
      out.append("{\"messages\":[{\"role\":\"user\",\"content\":\"Where is the garden ")
          .append(i)
          .append(
              "?\"},{\"role\":\"assistant\",\"content\":\"The garden is behind the red door.\"}]}\n");
    }
    return out.toString();
  }

  static String legacy(int n) {
    var out = new StringBuilder();
    for (int i = 0; i < n; i++) {
      out.append("{\"prompt\":\"Where is the garden ")
          .append(i)
          .append("? ->\",\"completion\":\" behind the red door.\"}\n");
    }
    return out.toString();
  }

  static String upload(FilesIT.Org org, String name, String content, FilePurpose purpose) {
    return sdk(org)
        .files()
        .create(
            FileCreateParams.builder()
                .file(content.getBytes(StandardCharsets.UTF_8))
                .purpose(purpose)
                .build())
        .id();
  }

  static OpenAIClient sdk(FilesIT.Org org) {
    return FilesIT.sdk(org);
  }

  static FineTuningJob await(FilesIT.Org org, String id, String... statuses) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
    FineTuningJob job = null;
    while (System.nanoTime() < deadline) {
      job = sdk(org).fineTuning().jobs().retrieve(id);
      var status = job.status().asString();
      if (List.of(statuses).contains(status)) {
        return job;
      }
      if (List.of("failed", "cancelled", "succeeded").contains(status)) {
        throw new AssertionError("job ended " + status + ": " + job.error());
      }
      Thread.sleep(300);
    }
    throw new AssertionError("job " + id + " did not reach " + List.of(statuses) + ": " + job);
  }

  static JsonNode get(FilesIT.Org org, String path) throws Exception {
    var reply = FilesIT.json("GET", path, org.key(), null);
    assertThat(reply.status()).as(path + " " + reply.body()).isEqualTo(200);
    return reply.body();
  }

  static long filesQuery(String sql, String param) throws SQLException {
    return query(FilesStack.POSTGRES + stack.filesDatabase, sql, param);
  }

  static long usageQuery(String sql, String param) throws SQLException {
    return query(FilesStack.POSTGRES + stack.usageDatabase, sql, param);
  }

  static long query(String url, String sql, String param) throws SQLException {
    try (var c = DriverManager.getConnection(url, "postgres", "");
        var s = c.prepareStatement(sql)) {
      s.setString(1, param);
      try (var rs = s.executeQuery()) {
        return rs.next() ? rs.getLong(1) : -1;
      }
    }
  }

  static Optional<ProcessHandle> trainer(String jobId) {
    return ProcessHandle.allProcesses()
        .filter(
            p ->
                p.info()
                    .arguments()
                    .map(a -> List.of(a).contains("-Dparley.job=" + jobId))
                    .orElse(false))
        .findFirst();
  }

  static long checkpoints(String jobId) throws SQLException {
    return filesQuery("SELECT COUNT(*) FROM ft_job_checkpoints WHERE job_id = ?", jobId);
  }

  static void awaitCheckpoint(String jobId) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (checkpoints(jobId) == 0) {
      assertThat(System.nanoTime()).as("a checkpoint of " + jobId).isLessThan(deadline);
      Thread.sleep(200);
    }
  }

  @Test
  @Order(1)
  void job_trainsToARegisteredModel_withEventsCheckpointsResultsAndOneUsageRecord()
      throws Exception {
    var validation = upload(acme, "valid.jsonl", chat(10), FilePurpose.FINE_TUNE);
    var created =
        sdk(acme)
            .fineTuning()
            .jobs()
            .create(
                JobCreateParams.builder()
                    .model(BASE)
                    .trainingFile(trainingFile)
                    .validationFile(validation)
                    .suffix("garden")
                    .seed(7L)
                    .hyperparameters(
                        JobCreateParams.Hyperparameters.builder().nEpochs(2L).batchSize(2L).build())
                    .metadata(
                        JobCreateParams.Metadata.builder()
                            .putAdditionalProperty("team", com.openai.core.JsonValue.from("search"))
                            .build())
                    .build());
    assertThat(created.id()).startsWith("ftjob-");
    assertThat(created.status().asString()).isIn("queued", "running");
    assertThat(created.model()).isEqualTo(BASE);

    var job = await(acme, created.id(), "succeeded");
    succeededJob = job.id();

    assertThat(job.fineTunedModel())
        .contains("ft:" + BASE + ":" + acme.id() + ":garden:" + job.id());
    assertThat(job.trainedTokens()).hasValueSatisfying(t -> assertThat(t).isPositive());
    assertThat(job.finishedAt()).isPresent();
    assertThat(job.error()).isEmpty();
    assertThat(job.seed()).isEqualTo(7);
    assertThat(job.hyperparameters().nEpochs().orElseThrow().asInteger()).isEqualTo(2);
    assertThat(job.resultFiles()).hasSize(1);
    var result = sdk(acme).files().retrieve(job.resultFiles().getFirst());
    assertThat(result.purpose().asString()).isEqualTo("fine-tune-results");
    var csv =
        new String(
            sdk(acme).files().content(result.id()).body().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(csv).startsWith("step,train_loss");
    assertThat(csv.lines().count()).isEqualTo(1 + 10);

    var events =
        sdk(acme)
            .fineTuning()
            .jobs()
            .listEvents(JobListEventsParams.builder().fineTuningJobId(job.id()).limit(100).build())
            .data();
    assertThat(events.getFirst().message()).contains("successfully completed");
    assertThat(events.getLast().message()).startsWith("Created fine-tuning job");
    var metrics =
        events.stream()
            .filter(e -> e.type().map(t -> t.asString().equals("metrics")).orElse(false))
            .toList();
    assertThat(metrics).hasSize(10);
    assertThat(metrics.getFirst()._data().toString()).contains("train_loss");
    var page = get(acme, "/fine_tuning/jobs/" + job.id() + "/events?limit=3");
    assertThat(page.path("data")).hasSize(3);
    assertThat(page.path("has_more").asBoolean()).isTrue();

    var checkpoints = sdk(acme).fineTuning().jobs().checkpoints().list(job.id()).data();
    assertThat(checkpoints).hasSize(2);
    assertThat(checkpoints)
        .extracting(FineTuningJobCheckpoint::fineTunedModelCheckpoint)
        .containsExactly(
            "ft:" + BASE + ":" + acme.id() + ":garden:" + job.id() + ":ckpt-step-10",
            "ft:" + BASE + ":" + acme.id() + ":garden:" + job.id() + ":ckpt-step-5");
    assertThat(checkpoints.getFirst().metrics().validLoss()).isPresent();

    var list = get(acme, "/fine_tuning/jobs?metadata[team]=search");
    assertThat(list.path("data")).hasSize(1);
    assertThat(get(acme, "/fine_tuning/jobs?metadata[team]=other").path("data")).isEmpty();

    assertThat(
            filesQuery(
                "SELECT COUNT(*) FROM ft_models WHERE job_id = ? AND checkpoint_step IS NULL",
                job.id()))
        .isEqualTo(1);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (usageQuery("SELECT COUNT(*) FROM ledger WHERE request_id = ?", job.id() + ":training")
        == 0) {
      assertThat(System.nanoTime()).as("billed").isLessThan(deadline);
      Thread.sleep(200);
    }
    assertThat(
            usageQuery(
                "SELECT prompt_tokens FROM ledger WHERE request_id = ?", job.id() + ":training"))
        .isEqualTo(job.trainedTokens().orElseThrow());
    // the training file cannot be deleted while a job uses it; once it ended, it can
    assertThat(trainer(job.id())).isEmpty();
  }

  @Test
  @Order(2)
  void badInput_isA400WithTheParam() throws Exception {
    var wrongPurpose = upload(acme, "batch.jsonl", chat(10), FilePurpose.BATCH);
    var cases =
        List.of(
            new Object[] {
              "{\"model\":\"" + BASE + "\",\"training_file\":\"file-nope\"}", "training_file"
            },
            new Object[] {
              "{\"model\":\"" + BASE + "\",\"training_file\":\"" + wrongPurpose + "\"}",
              "training_file"
            },
            new Object[] {
              "{\"model\":\"gpt-4o\",\"training_file\":\"" + trainingFile + "\"}", "model"
            },
            new Object[] {
              "{\"model\":\""
                  + BASE
                  + "\",\"training_file\":\""
                  + trainingFile
                  + "\",\"suffix\":\"Bad Suffix!\"}",
              "suffix"
            },
            new Object[] {
              "{\"model\":\""
                  + BASE
                  + "\",\"training_file\":\""
                  + trainingFile
                  + "\",\"hyperparameters\":{\"n_epochs\":0}}",
              "hyperparameters.n_epochs"
            },
            new Object[] {
              "{\"model\":\""
                  + BASE
                  + "\",\"training_file\":\""
                  + trainingFile
                  + "\",\"hyperparameters\":{\"learning_rate_multiplier\":\"fast\"}}",
              "hyperparameters.learning_rate_multiplier"
            },
            new Object[] {
              "{\"model\":\""
                  + BASE
                  + "\",\"training_file\":\""
                  + trainingFile
                  + "\",\"method\":{\"type\":\"dpo\"}}",
              "method.type"
            },
            new Object[] {"{\"model\":\"" + BASE + "\"}", "training_file"},
            new Object[] {
              "{\"model\":\""
                  + BASE
                  + "\",\"training_file\":\""
                  + trainingFile
                  + "\",\"validation_file\":\""
                  + wrongPurpose
                  + "\"}",
              "validation_file"
            },
            new Object[] {
              "{\"model\":\""
                  + BASE
                  + "\",\"training_file\":\""
                  + trainingFile
                  + "\",\"surprise\":1}",
              "surprise"
            });
    for (var c : cases) {
      var reply = FilesIT.json("POST", "/fine_tuning/jobs", acme.key(), (String) c[0]);
      assertThat(reply.status()).as((String) c[0] + " " + reply.body()).isEqualTo(400);
      assertThat(reply.body().path("error").path("param").asText())
          .as((String) c[0])
          .isEqualTo(c[1]);
      assertThat(reply.body().path("error").path("type").asText())
          .isEqualTo("invalid_request_error");
    }
    var malformed = FilesIT.json("POST", "/fine_tuning/jobs", acme.key(), "{not json");
    assertThat(malformed.status()).isEqualTo(400);
    var huge =
        FilesIT.json(
            "POST", "/fine_tuning/jobs", acme.key(), "{\"model\":\"" + "x".repeat(100_000) + "\"}");
    assertThat(huge.status()).isEqualTo(413);
    assertThatThrownBy(
            () ->
                sdk(acme)
                    .fineTuning()
                    .jobs()
                    .create(
                        JobCreateParams.builder().model("nope").trainingFile(trainingFile).build()))
        .isInstanceOf(BadRequestException.class);
    assertThat(FilesIT.json("GET", "/fine_tuning/jobs?limit=0", acme.key(), null).status())
        .isEqualTo(400);
  }

  @Test
  @Order(3)
  void anotherOrganization_gets404OnEveryRoute() throws Exception {
    var id = succeededJob;
    for (var route :
        List.of(
            new String[] {"GET", "/fine_tuning/jobs/" + id},
            new String[] {"POST", "/fine_tuning/jobs/" + id + "/cancel"},
            new String[] {"POST", "/fine_tuning/jobs/" + id + "/pause"},
            new String[] {"POST", "/fine_tuning/jobs/" + id + "/resume"},
            new String[] {"GET", "/fine_tuning/jobs/" + id + "/events"},
            new String[] {"GET", "/fine_tuning/jobs/" + id + "/checkpoints"},
            new String[] {"GET", "/fine-tunes/" + id},
            new String[] {"POST", "/fine-tunes/" + id + "/cancel"},
            new String[] {"GET", "/fine-tunes/" + id + "/events"},
            new String[] {"GET", "/fine-tunes/" + id + "/events?stream=true"})) {
      var reply = FilesIT.json(route[0], route[1], other.key(), null);
      assertThat(reply.status()).as(route[0] + " " + route[1] + " " + reply.body()).isEqualTo(404);
      assertThat(reply.body().path("error").path("type").asText())
          .isEqualTo("invalid_request_error");
    }
    assertThat(get(other, "/fine_tuning/jobs").path("data")).isEmpty();
    assertThatThrownBy(() -> sdk(other).fineTuning().jobs().retrieve(id))
        .isInstanceOf(NotFoundException.class);
    // another organization's file cannot be trained on either
    var reply =
        FilesIT.json(
            "POST",
            "/fine_tuning/jobs",
            other.key(),
            "{\"model\":\"" + BASE + "\",\"training_file\":\"" + trainingFile + "\"}");
    assertThat(reply.status()).isEqualTo(400);
    assertThat(reply.body().path("error").path("param").asText()).isEqualTo("training_file");
  }

  String longJob(FilesIT.Org org) {
    return sdk(org)
        .fineTuning()
        .jobs()
        .create(
            JobCreateParams.builder()
                .model(BASE)
                .trainingFile(trainingFile)
                .hyperparameters(
                    JobCreateParams.Hyperparameters.builder().nEpochs(12L).batchSize(1L).build())
                .build())
        .id();
  }

  @Test
  @Order(4)
  void pauseStopsTheTrainer_resumeContinuesFromTheCheckpoint_cancelEndsIt() throws Exception {
    var id = longJob(acme);
    awaitCheckpoint(id);
    assertThat(trainer(id)).isPresent();

    var paused = sdk(acme).fineTuning().jobs().pause(id);
    assertThat(paused.status().asString()).isEqualTo("paused");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (trainer(id).isPresent()) {
      assertThat(System.nanoTime()).as("trainer stopped after pause").isLessThan(deadline);
      Thread.sleep(200);
    }
    Thread.sleep(1500);
    assertThat(sdk(acme).fineTuning().jobs().retrieve(id).status().asString()).isEqualTo("paused");

    assertThat(sdk(acme).fineTuning().jobs().resume(id).status().asString()).isEqualTo("queued");
    await(acme, id, "running");
    deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    while (true) {
      var messages =
          get(acme, "/fine_tuning/jobs/" + id + "/events?limit=100").path("data").toString();
      if (messages.contains("resumed from the checkpoint of epoch")) {
        break;
      }
      assertThat(System.nanoTime()).as("resumed from a checkpoint").isLessThan(deadline);
      Thread.sleep(300);
    }

    var cancelled = sdk(acme).fineTuning().jobs().cancel(id);
    assertThat(cancelled.status().asString()).isEqualTo("cancelled");
    deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (trainer(id).isPresent()) {
      assertThat(System.nanoTime()).as("trainer stopped after cancel").isLessThan(deadline);
      Thread.sleep(200);
    }
    var after = sdk(acme).fineTuning().jobs().retrieve(id);
    assertThat(after.status().asString()).isEqualTo("cancelled");
    assertThat(after.fineTunedModel()).isEmpty();
    var again = FilesIT.json("POST", "/fine_tuning/jobs/" + id + "/cancel", acme.key(), null);
    assertThat(again.status()).isEqualTo(409);
    assertThat(
            filesQuery(
                "SELECT COUNT(*) FROM ft_models WHERE job_id = ? AND checkpoint_step IS NULL", id))
        .isZero();
  }

  @Test
  @Order(5)
  void legacyFineTune_streamsItsEventsUntilDone_andRegistersALegacyModelId() throws Exception {
    var file = upload(acme, "legacy.jsonl", legacy(10), FilePurpose.FINE_TUNE);
    var created =
        FilesIT.json(
            "POST",
            "/fine-tunes",
            acme.key(),
            "{\"training_file\":\""
                + file
                + "\",\"model\":\""
                + BASE
                + "\",\"n_epochs\":2,\"batch_size\":2,\"prompt_loss_weight\":0.1,"
                + "\"suffix\":\"legacy\"}");
    assertThat(created.status()).as(created.body().toString()).isEqualTo(200);
    var id = created.body().path("id").asText();
    assertThat(id).startsWith("ft-");
    assertThat(created.body().path("object").asText()).isEqualTo("fine-tune");
    assertThat(created.body().path("status").asText()).isEqualTo("pending");
    assertThat(created.body().path("training_files").get(0).path("id").asText()).isEqualTo(file);

    var request =
        HttpRequest.newBuilder(
                URI.create(stack.baseUrl() + "/fine-tunes/" + id + "/events?stream=true"))
            .timeout(Duration.ofMinutes(4))
            .header("Authorization", "Bearer " + acme.key())
            .build();
    var response = HTTP.send(request, HttpResponse.BodyHandlers.ofLines());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type").orElse(""))
        .startsWith("text/event-stream");
    var data = new ArrayList<String>();
    response.body().filter(l -> l.startsWith("data: ")).forEach(l -> data.add(l.substring(6)));
    assertThat(data.getLast()).isEqualTo("[DONE]");
    var events = data.subList(0, data.size() - 1);
    assertThat(events).isNotEmpty();
    for (var e : events) {
      assertThat(JSON.readTree(e).path("object").asText()).isEqualTo("fine-tune-event");
    }
    assertThat(events.getLast()).contains("successfully completed");

    var job = get(acme, "/fine-tunes/" + id);
    assertThat(job.path("status").asText()).isEqualTo("succeeded");
    assertThat(job.path("fine_tuned_model").asText())
        .matches(BASE + ":ft-" + acme.id() + ":legacy-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}");
    assertThat(job.path("result_files").get(0).path("purpose").asText())
        .isEqualTo("fine-tune-results");
    assertThat(job.path("hyperparams").path("n_epochs").asInt()).isEqualTo(2);
    assertThat(job.path("events").size()).isEqualTo(events.size());
    var list = get(acme, "/fine-tunes");
    assertThat(list.path("data")).hasSize(1);
    assertThat(list.path("data").get(0).path("id").asText()).isEqualTo(id);
    // the legacy job is not one of the current API's jobs, and the reverse
    assertThat(FilesIT.json("GET", "/fine_tuning/jobs/" + id, acme.key(), null).status())
        .isEqualTo(404);
    assertThat(FilesIT.json("GET", "/fine-tunes/" + succeededJob, acme.key(), null).status())
        .isEqualTo(404);
    var unsupported =
        FilesIT.json(
            "POST",
            "/fine-tunes",
            acme.key(),
            "{\"training_file\":\""
                + file
                + "\",\"model\":\""
                + BASE
                + "\",\"compute_classification_metrics\":true}");
    assertThat(unsupported.status()).isEqualTo(400);
    assertThat(unsupported.body().path("error").path("param").asText())
        .isEqualTo("compute_classification_metrics");
  }

  @Test
  @Order(6)
  void trainerKilledMidTraining_resumesFromItsCheckpoint_andSucceedsOnce_billedOnce()
      throws Exception {
    var id = longJob(acme);
    awaitCheckpoint(id);
    var first = trainer(id).orElseThrow();
    first.destroyForcibly(); // SIGKILL
    first.onExit().get();

    var job = await(acme, id, "succeeded");

    assertThat(job.fineTunedModel()).contains("ft:" + BASE + ":" + acme.id() + "::" + id);
    var messages =
        sdk(acme)
            .fineTuning()
            .jobs()
            .listEvents(JobListEventsParams.builder().fineTuningJobId(id).limit(50).build())
            .autoPager()
            .stream()
            .map(FineTuningJobEvent::message)
            .toList();
    // every page through `after`: 120 metrics events and the messages, none twice
    assertThat(messages).doesNotHaveDuplicates();
    assertThat(messages).anyMatch(m -> m.contains("The trainer stopped unexpectedly"));
    assertThat(messages).anyMatch(m -> m.contains("resumed from the checkpoint of epoch"));
    assertThat(messages.stream().filter(m -> m.contains("successfully completed"))).hasSize(1);
    // every step's metrics once, whatever was trained twice
    assertThat(
            filesQuery(
                "SELECT COUNT(*) FROM ft_job_events WHERE job_id = ? AND type = 'metrics'", id))
        .isEqualTo(120);
    assertThat(filesQuery("SELECT attempt FROM ft_jobs WHERE id = ?", id)).isEqualTo(2);
    assertThat(
            filesQuery(
                "SELECT COUNT(*) FROM ft_models WHERE job_id = ? AND checkpoint_step IS NULL", id))
        .isEqualTo(1);
    assertThat(checkpoints(id)).isEqualTo(12);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (usageQuery("SELECT COUNT(*) FROM ledger WHERE request_id = ?", id + ":training") == 0) {
      assertThat(System.nanoTime()).as("billed").isLessThan(deadline);
      Thread.sleep(200);
    }
    assertThat(
            usageQuery(
                "SELECT COUNT(*) FROM ledger WHERE organization_id = ? AND request_id LIKE 'ft%:training'",
                acme.id()))
        .isEqualTo(3);
    assertThat(
            usageQuery("SELECT prompt_tokens FROM ledger WHERE request_id = ?", id + ":training"))
        .isEqualTo(job.trainedTokens().orElseThrow());
  }
}
