package io.parley.files.api.grpc;

import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.parley.files.application.FineTuningService;
import io.parley.files.domain.Caller;
import io.parley.files.domain.FineTunedModel;
import io.parley.files.domain.FineTuningJob;
import io.parley.files.domain.JobApi;
import io.parley.files.domain.JobCheckpoint;
import io.parley.files.domain.JobEvent;
import io.parley.files.domain.TrainingParameters;
import io.parley.finetuning.v1.*;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * The gRPC edge of fine-tuning: jobs and the fine-tuned model registry. Every request names its
 * organization; adapters are streamed chunk by chunk as the transport is ready.
 */
public final class FineTuningGrpcService extends FineTuningServiceGrpc.FineTuningServiceImplBase {

  private final FineTuningService service;
  private final int chunkBytes;

  /**
   * @param service the use cases
   * @param chunkBytes bytes per adapter message
   */
  public FineTuningGrpcService(FineTuningService service, int chunkBytes) {
    this.service = service;
    this.chunkBytes = chunkBytes;
  }

  private static Caller caller(String organization) {
    return new Caller(organization, "");
  }

  private static Optional<String> nonEmpty(String value) {
    return value.isEmpty() ? Optional.empty() : Optional.of(value);
  }

  private static int limit(int value) {
    return value == 0 ? 20 : value;
  }

  @Override
  public void createJob(CreateJobRequest r, StreamObserver<CreateJobResponse> o) {
    FilesErrors.respond(
        o,
        () -> {
          var h = r.getHyperparameters();
          var parameters =
              new TrainingParameters(
                  h.hasNEpochs() ? OptionalInt.of(h.getNEpochs()) : OptionalInt.empty(),
                  h.hasBatchSize() ? OptionalInt.of(h.getBatchSize()) : OptionalInt.empty(),
                  h.hasLearningRateMultiplier()
                      ? OptionalDouble.of(h.getLearningRateMultiplier())
                      : OptionalDouble.empty(),
                  h.hasPromptLossWeight()
                      ? OptionalDouble.of(h.getPromptLossWeight())
                      : OptionalDouble.empty());
          var job =
              service.create(
                  new Caller(r.getOrganization(), r.getUser()),
                  new FineTuningService.NewJob(
                      r.getApi() == io.parley.finetuning.v1.JobApi.JOB_API_LEGACY
                          ? JobApi.LEGACY
                          : JobApi.FINE_TUNING,
                      r.getModel(),
                      r.getTrainingFile(),
                      nonEmpty(r.getValidationFile()),
                      parameters,
                      r.getSuffix(),
                      r.hasSeed() ? OptionalLong.of(r.getSeed()) : OptionalLong.empty(),
                      r.getMetadataMap(),
                      r.getMethod()));
          return CreateJobResponse.newBuilder().setJob(toProto(job)).build();
        });
  }

  @Override
  public void getJob(GetJobRequest r, StreamObserver<GetJobResponse> o) {
    FilesErrors.respond(
        o,
        () ->
            GetJobResponse.newBuilder()
                .setJob(toProto(service.get(caller(r.getOrganization()), r.getJobId())))
                .build());
  }

  @Override
  public void listJobs(ListJobsRequest r, StreamObserver<ListJobsResponse> o) {
    FilesErrors.respond(
        o,
        () -> {
          Optional<JobApi> api =
              switch (r.getApi()) {
                case JOB_API_LEGACY -> Optional.of(JobApi.LEGACY);
                case JOB_API_FINE_TUNING -> Optional.of(JobApi.FINE_TUNING);
                default -> Optional.empty();
              };
          var page =
              service.list(
                  caller(r.getOrganization()),
                  api,
                  r.getMetadataMap(),
                  limit(r.getLimit()),
                  nonEmpty(r.getAfter()));
          var out = ListJobsResponse.newBuilder().setHasMore(page.hasMore());
          page.items().forEach(j -> out.addJobs(toProto(j)));
          return out.build();
        });
  }

  @Override
  public void cancelJob(CancelJobRequest r, StreamObserver<CancelJobResponse> o) {
    FilesErrors.respond(
        o,
        () ->
            CancelJobResponse.newBuilder()
                .setJob(toProto(service.cancel(caller(r.getOrganization()), r.getJobId())))
                .build());
  }

  @Override
  public void pauseJob(PauseJobRequest r, StreamObserver<PauseJobResponse> o) {
    FilesErrors.respond(
        o,
        () ->
            PauseJobResponse.newBuilder()
                .setJob(toProto(service.pause(caller(r.getOrganization()), r.getJobId())))
                .build());
  }

  @Override
  public void resumeJob(ResumeJobRequest r, StreamObserver<ResumeJobResponse> o) {
    FilesErrors.respond(
        o,
        () ->
            ResumeJobResponse.newBuilder()
                .setJob(toProto(service.resume(caller(r.getOrganization()), r.getJobId())))
                .build());
  }

  @Override
  public void listJobEvents(ListJobEventsRequest r, StreamObserver<ListJobEventsResponse> o) {
    FilesErrors.respond(
        o,
        () -> {
          var page =
              service.events(
                  caller(r.getOrganization()),
                  r.getJobId(),
                  limit(r.getLimit()),
                  r.getAscending(),
                  nonEmpty(r.getAfter()));
          var out = ListJobEventsResponse.newBuilder().setHasMore(page.hasMore());
          page.items().forEach(e -> out.addEvents(toProto(e)));
          return out.build();
        });
  }

  @Override
  public void listJobCheckpoints(
      ListJobCheckpointsRequest r, StreamObserver<ListJobCheckpointsResponse> o) {
    FilesErrors.respond(
        o,
        () -> {
          var page =
              service.checkpoints(
                  caller(r.getOrganization()),
                  r.getJobId(),
                  limit(r.getLimit()),
                  nonEmpty(r.getAfter()));
          var out = ListJobCheckpointsResponse.newBuilder().setHasMore(page.hasMore());
          page.items().forEach(c -> out.addCheckpoints(toProto(c)));
          return out.build();
        });
  }

  @Override
  public void listFineTunedModels(
      ListFineTunedModelsRequest r, StreamObserver<ListFineTunedModelsResponse> o) {
    FilesErrors.respond(
        o,
        () -> {
          var out = ListFineTunedModelsResponse.newBuilder();
          service.models(caller(r.getOrganization())).forEach(m -> out.addModels(toProto(m)));
          return out.build();
        });
  }

  @Override
  public void getFineTunedModel(
      GetFineTunedModelRequest r, StreamObserver<GetFineTunedModelResponse> o) {
    FilesErrors.respond(
        o,
        () ->
            GetFineTunedModelResponse.newBuilder()
                .setModel(toProto(service.model(caller(r.getOrganization()), r.getModel())))
                .build());
  }

  @Override
  public void deleteFineTunedModel(
      DeleteFineTunedModelRequest r, StreamObserver<DeleteFineTunedModelResponse> o) {
    FilesErrors.respond(
        o,
        () -> {
          var deleted = service.deleteModel(caller(r.getOrganization()), r.getModel());
          return DeleteFineTunedModelResponse.newBuilder()
              .setModel(deleted.id())
              .setDeleted(true)
              .build();
        });
  }

  @Override
  public void getAdapterContent(
      GetAdapterContentRequest r, StreamObserver<GetAdapterContentResponse> observer) {
    var out = (ServerCallStreamObserver<GetAdapterContentResponse>) observer;
    FineTuningService.Adapter adapter;
    try {
      adapter = service.adapter(caller(r.getOrganization()), r.getModel());
    } catch (RuntimeException e) {
      out.onError(FilesErrors.of(e));
      return;
    }
    new AdapterDownload(adapter.stream(), out, chunkBytes).start();
  }

  /** Sends an adapter chunk by chunk whenever the transport is ready. */
  private static final class AdapterDownload implements Runnable {
    private final InputStream in;
    private final ServerCallStreamObserver<GetAdapterContentResponse> out;
    private final byte[] buffer;
    private boolean done;

    AdapterDownload(
        InputStream in, ServerCallStreamObserver<GetAdapterContentResponse> out, int chunk) {
      this.in = in;
      this.out = out;
      this.buffer = new byte[chunk];
    }

    void start() {
      out.setOnCancelHandler(this::close);
      out.setOnReadyHandler(this);
      run();
    }

    @Override
    public synchronized void run() {
      if (done) {
        return;
      }
      try {
        while (out.isReady()) {
          int n = in.readNBytes(buffer, 0, buffer.length);
          if (n > 0) {
            out.onNext(
                GetAdapterContentResponse.newBuilder()
                    .setData(ByteString.copyFrom(buffer, 0, n))
                    .build());
          }
          if (n < buffer.length) {
            close();
            out.onCompleted();
            return;
          }
        }
      } catch (IOException | RuntimeException e) {
        close();
        out.onError(
            FilesErrors.internal(
                e instanceof RuntimeException re
                    ? re
                    : new java.io.UncheckedIOException((IOException) e)));
      }
    }

    private synchronized void close() {
      if (!done) {
        done = true;
        try {
          in.close();
        } catch (IOException e) {
          // nothing to do
        }
      }
    }
  }

  static Job toProto(FineTuningJob j) {
    var b =
        Job.newBuilder()
            .setId(j.id())
            .setOrganization(j.organization())
            .setModel(j.model())
            .setTrainingFile(j.trainingFile())
            .setValidationFile(j.validationFile().orElse(""))
            .setStatus(JobStatus.valueOf("JOB_STATUS_" + j.status().name()))
            .setFineTunedModel(j.fineTunedModel().orElse(""))
            .setCreatedAt(j.createdMillis() / 1000)
            .setFinishedAt(j.finishedMillis().orElse(0) / 1000)
            .setTrainedTokens(j.trainedTokens().orElse(0))
            .setSuffix(j.suffix())
            .setSeed(j.seed())
            .setEstimatedFinish(j.estimatedFinishMillis().orElse(0) / 1000)
            .putAllMetadata(j.metadata())
            .setMethod("supervised")
            .setApi(
                j.api() == JobApi.LEGACY
                    ? io.parley.finetuning.v1.JobApi.JOB_API_LEGACY
                    : io.parley.finetuning.v1.JobApi.JOB_API_FINE_TUNING)
            .setUser(j.createdBy())
            .setRequestedHyperparameters(toProto(j.requested()))
            .setUpdatedAt(j.updatedMillis() / 1000)
            .setAttempts(j.attempt());
    j.resultFile().ifPresent(b::addResultFiles);
    j.error()
        .ifPresent(
            e ->
                b.setErrorCode(e.code())
                    .setErrorMessage(e.message())
                    .setErrorParam(e.param().orElse("")));
    var resolved = toProto(j.requested()).toBuilder();
    j.resolved()
        .ifPresent(
            r ->
                resolved
                    .setNEpochs(r.epochs())
                    .setBatchSize(r.batchSize())
                    .setLearningRateMultiplier(r.learningRateMultiplier()));
    b.setHyperparameters(resolved);
    return b.build();
  }

  private static Hyperparameters toProto(TrainingParameters p) {
    var h = Hyperparameters.newBuilder();
    p.epochs().ifPresent(h::setNEpochs);
    p.batchSize().ifPresent(h::setBatchSize);
    p.learningRateMultiplier().ifPresent(h::setLearningRateMultiplier);
    p.promptLossWeight().ifPresent(h::setPromptLossWeight);
    return h.build();
  }

  static io.parley.finetuning.v1.JobEvent toProto(JobEvent e) {
    return io.parley.finetuning.v1.JobEvent.newBuilder()
        .setId(e.id())
        .setCreatedAt(e.createdMillis() / 1000)
        .setLevel(e.level())
        .setMessage(e.message())
        .setType(e.type())
        .setDataJson(e.data().orElse(""))
        .build();
  }

  static Checkpoint toProto(JobCheckpoint c) {
    var b =
        Checkpoint.newBuilder()
            .setId(c.id())
            .setCreatedAt(c.createdMillis() / 1000)
            .setFineTunedModelCheckpoint(c.fineTunedModel())
            .setStepNumber(c.step())
            .setTrainLoss(c.trainLoss())
            .setEpoch(c.epoch())
            .setTrainMeanTokenAccuracy(c.trainAccuracy());
    c.validLoss().ifPresent(b::setValidLoss);
    c.validAccuracy().ifPresent(b::setValidMeanTokenAccuracy);
    return b.build();
  }

  static io.parley.finetuning.v1.FineTunedModel toProto(FineTunedModel m) {
    return io.parley.finetuning.v1.FineTunedModel.newBuilder()
        .setId(m.id())
        .setOrganization(m.organization())
        .setBaseModel(m.baseModel())
        .setCreatedAt(m.createdMillis() / 1000)
        .setJobId(m.jobId())
        .setAdapterSha256(m.adapterSha256())
        .setAdapterBytes(m.adapterBytes())
        .build();
  }
}
