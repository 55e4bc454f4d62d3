package io.parley.files.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.parley.common.grpc.GrpcErrors;
import io.parley.files.application.FileLimits;
import io.parley.files.application.FileService;
import io.parley.files.application.FineTuningService;
import io.parley.files.application.FineTuningSettings;
import io.parley.files.domain.Caller;
import io.parley.files.domain.FineTunedModel;
import io.parley.files.domain.JobEvent;
import io.parley.files.infrastructure.blob.DirectoryBlobStore;
import io.parley.files.infrastructure.jdbc.JdbcFileRepository;
import io.parley.files.infrastructure.jdbc.JdbcJobRepository;
import io.parley.files.testsupport.TestDatabases;
import io.parley.finetuning.v1.*;
import io.parley.persistence.Database;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fine-tuning gRPC API through real stubs, on PostgreSQL and a directory store. */
class FineTuningGrpcServiceTest {

  static final String CHAT =
      "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"},"
          + "{\"role\":\"assistant\",\"content\":\"hello\"}]}\n";

  @TempDir Path blobs;
  String schema;
  Database database;
  FileService files;
  JdbcJobRepository jobs;
  DirectoryBlobStore store;
  Server server;
  ManagedChannel channel;
  FineTuningServiceGrpc.FineTuningServiceBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    schema = TestDatabases.newSchema();
    database = TestDatabases.postgres(schema, 4);
    store = DirectoryBlobStore.open(blobs);
    var limits = new FileLimits(1 << 20, 0, 1024, 10, 1000, 100, Duration.ofHours(1));
    files =
        new FileService(new JdbcFileRepository(database.jdbc()), store, limits, Clock.systemUTC());
    jobs = new JdbcJobRepository(database.jdbc());
    var settings =
        new FineTuningSettings(
            Map.of("stories260k", Path.of("/models/stories260K.gguf")),
            0,
            1,
            Duration.ofSeconds(30),
            Duration.ofSeconds(1),
            Duration.ofSeconds(1),
            3,
            blobs.resolve("work"),
            0);
    var service = new FineTuningService(jobs, files, store, settings, Clock.systemUTC());
    var name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .addService(new FineTuningGrpcService(service, 7))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
    stub = FineTuningServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() throws Exception {
    channel.shutdownNow();
    server.shutdownNow().awaitTermination();
    database.close();
    TestDatabases.dropSchema(schema);
  }

  String upload(String organization, String purpose, String content) {
    var incoming = files.receive(new Caller(organization, "u"), "f.jsonl", Optional.of(purpose));
    var bytes = content.getBytes(StandardCharsets.UTF_8);
    incoming.write(bytes, 0, bytes.length);
    return incoming.finish().id();
  }

  CreateJobRequest.Builder request(String organization, String file) {
    return CreateJobRequest.newBuilder()
        .setOrganization(organization)
        .setModel("stories260k")
        .setTrainingFile(file);
  }

  static Status.Code code(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
    throw new AssertionError("succeeded");
  }

  static String param(Runnable call) {
    try {
      call.run();
    } catch (StatusRuntimeException e) {
      assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      return GrpcErrors.parse(e).param().orElse(null);
    }
    throw new AssertionError("succeeded");
  }

  @Test
  void createJob_queuesIt_andOnlyItsOrganizationSeesIt() {
    var file = upload("org-a", "fine-tune", CHAT.repeat(10));

    var job =
        stub.createJob(request("org-a", file).setSuffix("my-model").putMetadata("k", "v").build())
            .getJob();

    assertThat(job.getId()).startsWith("ftjob-");
    assertThat(job.getStatus()).isEqualTo(JobStatus.JOB_STATUS_QUEUED);
    assertThat(job.getHyperparameters().hasNEpochs()).isFalse();
    assertThat(job.getMetadataMap()).containsEntry("k", "v");
    var get = GetJobRequest.newBuilder().setOrganization("org-b").setJobId(job.getId()).build();
    assertThat(code(() -> stub.getJob(get))).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(
            code(
                () ->
                    stub.cancelJob(
                        CancelJobRequest.newBuilder()
                            .setOrganization("org-b")
                            .setJobId(job.getId())
                            .build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(
            stub.listJobs(ListJobsRequest.newBuilder().setOrganization("org-b").build())
                .getJobsList())
        .isEmpty();

    var paused =
        stub.pauseJob(
                PauseJobRequest.newBuilder().setOrganization("org-a").setJobId(job.getId()).build())
            .getJob();
    assertThat(paused.getStatus()).isEqualTo(JobStatus.JOB_STATUS_PAUSED);
    var cancelled =
        stub.cancelJob(
                CancelJobRequest.newBuilder()
                    .setOrganization("org-a")
                    .setJobId(job.getId())
                    .build())
            .getJob();
    assertThat(cancelled.getStatus()).isEqualTo(JobStatus.JOB_STATUS_CANCELLED);
    assertThat(
            code(
                () ->
                    stub.resumeJob(
                        ResumeJobRequest.newBuilder()
                            .setOrganization("org-a")
                            .setJobId(job.getId())
                            .build())))
        .isEqualTo(Status.Code.FAILED_PRECONDITION);
    var events =
        stub.listJobEvents(
                ListJobEventsRequest.newBuilder()
                    .setOrganization("org-a")
                    .setJobId(job.getId())
                    .build())
            .getEventsList();
    assertThat(events)
        .extracting(io.parley.finetuning.v1.JobEvent::getMessage)
        .containsExactly(
            "Fine-tuning job cancelled",
            "Fine-tuning job paused",
            "Created fine-tuning job: " + job.getId());
  }

  @Test
  void createJob_refusesWhatCannotBeTrained_namingTheParam() {
    var file = upload("org-a", "fine-tune", CHAT.repeat(10));
    var batch = upload("org-a", "batch", "{}\n");
    var foreign = upload("org-b", "fine-tune", CHAT.repeat(10));

    assertThat(param(() -> stub.createJob(request("org-a", "file-nope").build())))
        .isEqualTo("training_file");
    assertThat(param(() -> stub.createJob(request("org-a", batch).build())))
        .isEqualTo("training_file");
    assertThat(param(() -> stub.createJob(request("org-a", foreign).build())))
        .isEqualTo("training_file");
    assertThat(param(() -> stub.createJob(request("org-a", file).setValidationFile(batch).build())))
        .isEqualTo("validation_file");
    assertThat(param(() -> stub.createJob(request("org-a", file).setModel("gpt-4o").build())))
        .isEqualTo("model");
    assertThat(param(() -> stub.createJob(request("org-a", file).setSuffix("UPPER").build())))
        .isEqualTo("suffix");
    assertThat(
            param(
                () ->
                    stub.createJob(
                        request("org-a", file)
                            .setHyperparameters(Hyperparameters.newBuilder().setBatchSize(1000))
                            .build())))
        .isEqualTo("hyperparameters.batch_size");
    assertThat(
            param(
                () ->
                    stub.createJob(
                        request("org-a", file)
                            .setApi(JobApi.JOB_API_LEGACY)
                            .setHyperparameters(Hyperparameters.newBuilder().setNEpochs(0))
                            .build())))
        .isEqualTo("n_epochs");
    assertThat(param(() -> stub.createJob(request("org-a", file).setMethod("dpo").build())))
        .isEqualTo("method.type");
    var many = request("org-a", file);
    for (int i = 0; i < 17; i++) {
      many.putMetadata("k" + i, "v");
    }
    assertThat(param(() -> stub.createJob(many.build()))).isEqualTo("metadata");
  }

  @Test
  void listFineTunedModels_leavesCheckpointModelsOut_whichStayFetchableById() {
    var file = upload("org-a", "fine-tune", CHAT.repeat(10));
    var job = stub.createJob(request("org-a", file).build()).getJob();
    var claim = jobs.claim("w", System.currentTimeMillis(), 30_000, 1).orElseThrow();
    int attempt = claim.job().attempt();
    var checkpointModel = "ft:stories260k:org-a::" + job.getId() + ":ckpt-step-5";
    assertThat(
            jobs.addCheckpoint(
                job.getId(),
                attempt,
                new io.parley.files.domain.JobCheckpoint(
                    "ftckpt-1",
                    job.getId(),
                    1,
                    5,
                    1.5,
                    0.5,
                    java.util.OptionalDouble.empty(),
                    java.util.OptionalDouble.empty(),
                    checkpointModel,
                    1000),
                new FineTunedModel(
                    checkpointModel,
                    "org-a",
                    "stories260k",
                    job.getId(),
                    OptionalInt.of(5),
                    "finetuning/ckpt-adapter",
                    "0".repeat(64),
                    10,
                    1000)))
        .isTrue();
    var list = ListFineTunedModelsRequest.newBuilder().setOrganization("org-a").build();

    assertThat(stub.listFineTunedModels(list).getModelsList()).isEmpty();
    assertThat(
            stub.getFineTunedModel(
                    GetFineTunedModelRequest.newBuilder()
                        .setOrganization("org-a")
                        .setModel(checkpointModel)
                        .build())
                .getModel()
                .getId())
        .isEqualTo(checkpointModel);

    var finalModel = "ft:stories260k:org-a::" + job.getId();
    assertThat(
            jobs.succeed(
                job.getId(),
                attempt,
                new FineTunedModel(
                    finalModel,
                    "org-a",
                    "stories260k",
                    job.getId(),
                    OptionalInt.empty(),
                    "finetuning/final-adapter",
                    "1".repeat(64),
                    10,
                    2000),
                42,
                file,
                new JobEvent("ftevent-done", 2, "info", "message", "done", Optional.empty()),
                2))
        .isTrue();
    assertThat(stub.listFineTunedModels(list).getModelsList())
        .extracting(io.parley.finetuning.v1.FineTunedModel::getId)
        .containsExactly(finalModel);
  }

  @Test
  void fineTunedModel_isListedFetchedStreamedAndDeleted_withinItsOrganization() throws Exception {
    var file = upload("org-a", "fine-tune", CHAT.repeat(10));
    var job = stub.createJob(request("org-a", file).build()).getJob();
    var claim = jobs.claim("w", System.currentTimeMillis(), 30_000, 1).orElseThrow();
    var adapter = "GGUF adapter bytes, more than one chunk".getBytes(StandardCharsets.UTF_8);
    try (var writer = store.create("finetuning/x-adapter")) {
      writer.write(adapter, 0, adapter.length);
      writer.commit();
    }
    var sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(adapter));
    var id = "ft:stories260k:org-a::" + job.getId();
    assertThat(
            jobs.succeed(
                job.getId(),
                claim.job().attempt(),
                new FineTunedModel(
                    id,
                    "org-a",
                    "stories260k",
                    job.getId(),
                    OptionalInt.empty(),
                    "finetuning/x-adapter",
                    sha,
                    adapter.length,
                    1000),
                42,
                file,
                new JobEvent("ftevent-done", 2, "info", "message", "done", Optional.empty()),
                2))
        .isTrue();

    assertThat(
            stub.listFineTunedModels(
                    ListFineTunedModelsRequest.newBuilder().setOrganization("org-a").build())
                .getModelsList())
        .extracting(io.parley.finetuning.v1.FineTunedModel::getId)
        .containsExactly(id);
    var model =
        stub.getFineTunedModel(
                GetFineTunedModelRequest.newBuilder().setOrganization("org-a").setModel(id).build())
            .getModel();
    assertThat(model.getAdapterSha256()).isEqualTo(sha);
    assertThat(model.getBaseModel()).isEqualTo("stories260k");
    assertThat(model.getJobId()).isEqualTo(job.getId());
    var streamed = new ByteArrayOutputStream();
    stub.getAdapterContent(
            GetAdapterContentRequest.newBuilder().setOrganization("org-a").setModel(id).build())
        .forEachRemaining(chunk -> streamed.writeBytes(chunk.getData().toByteArray()));
    assertThat(streamed.toByteArray()).isEqualTo(adapter);
    var foreign =
        GetFineTunedModelRequest.newBuilder().setOrganization("org-b").setModel(id).build();
    assertThat(code(() -> stub.getFineTunedModel(foreign))).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(
            code(
                () ->
                    stub.getAdapterContent(
                            GetAdapterContentRequest.newBuilder()
                                .setOrganization("org-b")
                                .setModel(id)
                                .build())
                        .hasNext()))
        .isEqualTo(Status.Code.NOT_FOUND);

    var deleted =
        stub.deleteFineTunedModel(
            DeleteFineTunedModelRequest.newBuilder().setOrganization("org-a").setModel(id).build());
    assertThat(deleted.getDeleted()).isTrue();
    var get = GetFineTunedModelRequest.newBuilder().setOrganization("org-a").setModel(id).build();
    assertThat(code(() -> stub.getFineTunedModel(get))).isEqualTo(Status.Code.NOT_FOUND);
  }
}
