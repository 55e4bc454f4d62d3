package io.parley.files.domain;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Stores fine-tuning jobs, their events and checkpoints, and the fine-tuned models. Owner changes
 * (cancel, pause, resume) lock the job's row. Worker writes are fenced: each names the attempt it
 * runs and returns {@code false}, changing nothing, when the job is no longer running under that
 * attempt (cancelled, paused, or taken over by another worker after the lease ran out).
 */
public interface JobRepository {

  /** Inserts a queued job, its creation event, and the uses of its files, in one transaction. */
  void insert(FineTuningJob job, JobEvent created);

  /** A job of an organization. */
  Optional<FineTuningJob> find(String organization, String id);

  /**
   * A page of an organization's jobs, newest first.
   *
   * @param api only jobs of this API, when present
   * @param metadata only jobs whose metadata has all these pairs
   * @param after start after this job
   */
  List<FineTuningJob> list(
      String organization,
      Optional<JobApi> api,
      Map<String, String> metadata,
      int count,
      Optional<FineTuningJob> after);

  /**
   * Moves a job to {@code to} when its status is one of {@code from}, adding {@code event}; a job
   * that ends this way releases its lease and its files.
   *
   * @return the job after the change; empty when there is no such job
   * @throws JobStateException when the job's status is not in {@code from}
   */
  Optional<FineTuningJob> transition(
      String organization,
      String id,
      List<JobStatus> from,
      JobStatus to,
      JobEvent event,
      long nowMillis);

  /** A page of a job's events (by order of arrival). */
  List<JobEvent> events(String jobId, int count, boolean ascending, Optional<String> after);

  /** A page of a job's checkpoints, newest first. */
  List<JobCheckpoint> checkpoints(String jobId, int count, Optional<String> after);

  /**
   * Claims the oldest job that is queued, or running under a lease that ran out, for {@code
   * worker}: its attempt goes up by one and it is leased until {@code nowMillis + leaseMillis}.
   * Rows other workers hold are skipped ({@code FOR UPDATE SKIP LOCKED}); organizations already
   * running {@code perOrganization} jobs are passed over.
   */
  Optional<Claim> claim(String worker, long nowMillis, long leaseMillis, int perOrganization);

  /**
   * A claimed job.
   *
   * @param job the job as claimed (its attempt is this claim's)
   * @param previousRunner the runner reference the previous attempt recorded, if any
   */
  record Claim(FineTuningJob job, Optional<String> previousRunner) {}

  /** Extends the lease; false when the attempt no longer holds the job. */
  boolean heartbeat(String jobId, int attempt, long leaseUntilMillis);

  /** Records what runs the attempt (for example a process id), to stop it after a takeover. */
  boolean runner(String jobId, int attempt, String runnerRef);

  /** Records the expected finish and, once known, the resolved hyperparameters. */
  boolean progress(
      String jobId,
      int attempt,
      Optional<TrainingParameters.Resolved> resolved,
      long estimatedFinishMillis,
      long nowMillis);

  /** The highest step of the job's metrics events; 0 when none. */
  int lastMetricsStep(String jobId);

  /** Appends events. */
  boolean addEvents(String jobId, int attempt, List<NewEvent> events);

  /**
   * An event to append.
   *
   * @param event the event
   * @param step its step, for metrics (at most one event per type and step)
   */
  record NewEvent(JobEvent event, Optional<Integer> step) {}

  /** Records a checkpoint and registers its model. */
  boolean addCheckpoint(String jobId, int attempt, JobCheckpoint checkpoint, FineTunedModel model);

  /** The epochs of the job that have a checkpoint, highest first. */
  List<Integer> checkpointEpochs(String jobId);

  /**
   * Ends the attempt with success: registers the model, records the tokens and result file, adds
   * the final event and releases the files.
   */
  boolean succeed(
      String jobId,
      int attempt,
      FineTunedModel model,
      long trainedTokens,
      String resultFile,
      JobEvent event,
      long nowMillis);

  /** Ends the attempt, and the job, as failed. */
  boolean fail(
      String jobId, int attempt, FineTuningJob.JobError error, JobEvent event, long nowMillis);

  /** Puts the job back in the queue (a crashed trainer): the next claim resumes it. */
  boolean requeue(String jobId, int attempt, JobEvent event, long nowMillis);

  /** Succeeded jobs whose trained tokens are not billed yet, oldest first. */
  List<FineTuningJob> unbilled(int count);

  /** Marks a job's tokens billed. */
  void billed(String jobId);

  /**
   * An organization's fine-tuned models, newest first.
   *
   * @param withCheckpoints whether the models of checkpoints are included; without them, only the
   *     models of succeeded jobs are (what {@code GET /v1/models} lists)
   */
  List<FineTunedModel> models(String organization, boolean withCheckpoints);

  /** One fine-tuned model of an organization. */
  Optional<FineTunedModel> model(String organization, String id);

  /** Deletes a model; the adapter blob is the caller's to delete. */
  Optional<FineTunedModel> deleteModel(String organization, String id);
}
