package io.parley.gateway.infrastructure;

import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.GrpcErrors;
import io.parley.finetuning.v1.CancelJobRequest;
import io.parley.finetuning.v1.CreateJobRequest;
import io.parley.finetuning.v1.FineTuningServiceGrpc;
import io.parley.finetuning.v1.GetJobRequest;
import io.parley.finetuning.v1.Job;
import io.parley.finetuning.v1.ListJobCheckpointsRequest;
import io.parley.finetuning.v1.ListJobCheckpointsResponse;
import io.parley.finetuning.v1.ListJobEventsRequest;
import io.parley.finetuning.v1.ListJobEventsResponse;
import io.parley.finetuning.v1.ListJobsRequest;
import io.parley.finetuning.v1.ListJobsResponse;
import io.parley.finetuning.v1.PauseJobRequest;
import io.parley.finetuning.v1.ResumeJobRequest;
import io.parley.gateway.application.FineTuningBackend;
import io.parley.gateway.domain.GatewayException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;

/**
 * Client of {@code parley.finetuning.v1.FineTuningService}, which the files service serves on the
 * same channel as the files. Reads are retried when the service is unavailable; every call has a
 * deadline; failures map as the files client maps them (404, 400 with param, 409, 503).
 */
@ApplicationScoped
public class FineTuningClient implements FineTuningBackend {

  private Channel channel;
  private boolean enabled;
  private long deadlineMillis;
  private int retryAfterSeconds;

  /** For CDI proxies. */
  protected FineTuningClient() {}

  @Inject
  public FineTuningClient(
      @Files Channel channel,
      @ConfigProperty(name = "parley.files.target") Optional<String> target,
      @ConfigProperty(name = "parley.files.deadline-ms") long deadlineMillis,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds) {
    this.channel = channel;
    this.enabled = target.filter(t -> !t.isBlank()).isPresent();
    this.deadlineMillis = deadlineMillis;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  private <T> T call(Function<FineTuningServiceGrpc.FineTuningServiceBlockingStub, T> rpc) {
    if (!enabled) {
      throw FilesClient.notConfigured();
    }
    try {
      return rpc.apply(
          FineTuningServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS));
    } catch (StatusRuntimeException e) {
      throw mapped(e);
    }
  }

  private GatewayException mapped(Throwable failure) {
    return FilesClient.toGatewayException(GrpcErrors.parse(failure), retryAfterSeconds);
  }

  @Override
  @Timeout(10_000)
  public Job create(CreateJobRequest request) {
    return call(s -> s.createJob(request)).getJob();
  }

  @Override
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = FilesClient.FilesUnavailable.class)
  @Timeout(10_000)
  public Job get(String organization, String jobId) {
    return call(s ->
            s.getJob(
                GetJobRequest.newBuilder().setOrganization(organization).setJobId(jobId).build()))
        .getJob();
  }

  @Override
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = FilesClient.FilesUnavailable.class)
  @Timeout(10_000)
  public ListJobsResponse list(ListJobsRequest request) {
    return call(s -> s.listJobs(request));
  }

  @Override
  @Timeout(10_000)
  public Job cancel(String organization, String jobId) {
    return call(s ->
            s.cancelJob(
                CancelJobRequest.newBuilder()
                    .setOrganization(organization)
                    .setJobId(jobId)
                    .build()))
        .getJob();
  }

  @Override
  @Timeout(10_000)
  public Job pause(String organization, String jobId) {
    return call(s ->
            s.pauseJob(
                PauseJobRequest.newBuilder().setOrganization(organization).setJobId(jobId).build()))
        .getJob();
  }

  @Override
  @Timeout(10_000)
  public Job resume(String organization, String jobId) {
    return call(s ->
            s.resumeJob(
                ResumeJobRequest.newBuilder()
                    .setOrganization(organization)
                    .setJobId(jobId)
                    .build()))
        .getJob();
  }

  @Override
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = FilesClient.FilesUnavailable.class)
  @Timeout(10_000)
  public ListJobEventsResponse events(ListJobEventsRequest request) {
    return call(s -> s.listJobEvents(request));
  }

  @Override
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = FilesClient.FilesUnavailable.class)
  @Timeout(10_000)
  public ListJobCheckpointsResponse checkpoints(ListJobCheckpointsRequest request) {
    return call(s -> s.listJobCheckpoints(request));
  }
}
