package io.parley.gateway.application;

import io.parley.finetuning.v1.CreateJobRequest;
import io.parley.finetuning.v1.Job;
import io.parley.finetuning.v1.JobApi;
import io.parley.finetuning.v1.ListJobCheckpointsRequest;
import io.parley.finetuning.v1.ListJobCheckpointsResponse;
import io.parley.finetuning.v1.ListJobEventsRequest;
import io.parley.finetuning.v1.ListJobEventsResponse;
import io.parley.finetuning.v1.ListJobsRequest;
import io.parley.finetuning.v1.ListJobsResponse;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.Role;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Optional;

/**
 * The fine-tuning use cases of the gateway: every call runs in the caller's organization (the files
 * service answers 404 for another organization's jobs). Members (readers and owners) may create,
 * read, cancel, pause and resume jobs, as members may on OpenAI.
 */
@ApplicationScoped
public class FineTuning {

  private FineTuningBackend backend;

  /** For CDI proxies. */
  protected FineTuning() {}

  @Inject
  public FineTuning(FineTuningBackend backend) {
    this.backend = backend;
  }

  private static String organization(Caller caller) {
    caller.require(Role.READER);
    return caller.organization();
  }

  /** Creates a job; the request's organization and user are the caller's. */
  public Job create(Caller caller, CreateJobRequest.Builder request) {
    return backend.create(
        request
            .setOrganization(organization(caller))
            .setUser(caller.user() == null ? "" : caller.user())
            .build());
  }

  /** One job. */
  public Job get(Caller caller, String jobId) {
    return backend.get(organization(caller), jobId);
  }

  /** A page of jobs of one API, newest first. */
  public ListJobsResponse list(
      Caller caller, JobApi api, int limit, Optional<String> after, Map<String, String> metadata) {
    var request =
        ListJobsRequest.newBuilder()
            .setOrganization(organization(caller))
            .setApi(api)
            .setLimit(limit)
            .putAllMetadata(metadata);
    after.ifPresent(request::setAfter);
    return backend.list(request.build());
  }

  /** Cancels a job. */
  public Job cancel(Caller caller, String jobId) {
    return backend.cancel(organization(caller), jobId);
  }

  /** Pauses a job. */
  public Job pause(Caller caller, String jobId) {
    return backend.pause(organization(caller), jobId);
  }

  /** Resumes a job. */
  public Job resume(Caller caller, String jobId) {
    return backend.resume(organization(caller), jobId);
  }

  /** A page of a job's events. */
  public ListJobEventsResponse events(
      Caller caller, String jobId, int limit, boolean ascending, Optional<String> after) {
    var request =
        ListJobEventsRequest.newBuilder()
            .setOrganization(organization(caller))
            .setJobId(jobId)
            .setLimit(limit)
            .setAscending(ascending);
    after.ifPresent(request::setAfter);
    return backend.events(request.build());
  }

  /** A page of a job's checkpoints. */
  public ListJobCheckpointsResponse checkpoints(
      Caller caller, String jobId, int limit, Optional<String> after) {
    var request =
        ListJobCheckpointsRequest.newBuilder()
            .setOrganization(organization(caller))
            .setJobId(jobId)
            .setLimit(limit);
    after.ifPresent(request::setAfter);
    return backend.checkpoints(request.build());
  }
}
