package io.parley.files.domain;

import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A fine-tuning job of an organization.
 *
 * @param id {@code ftjob-…}
 * @param organization owning organization
 * @param createdBy user who created it (empty for the admin key)
 * @param api the API that created it
 * @param model base model id
 * @param trainingFile training file id
 * @param validationFile validation file id, if any
 * @param requested hyperparameters as requested
 * @param resolved hyperparameters the trainer resolved, once known
 * @param suffix suffix of the model name (may be empty)
 * @param seed training seed
 * @param metadata caller-supplied pairs
 * @param status state
 * @param fineTunedModel the registered model, once succeeded
 * @param trainedTokens tokens trained on, once succeeded
 * @param resultFile the metrics file, once succeeded
 * @param error why it failed
 * @param createdMillis creation time
 * @param updatedMillis last change
 * @param finishedMillis end time, once ended
 * @param estimatedFinishMillis expected end while running
 * @param attempt training attempts so far (the fencing token of the current one)
 */
public record FineTuningJob(
    String id,
    String organization,
    String createdBy,
    JobApi api,
    String model,
    String trainingFile,
    Optional<String> validationFile,
    TrainingParameters requested,
    Optional<TrainingParameters.Resolved> resolved,
    String suffix,
    long seed,
    Map<String, String> metadata,
    JobStatus status,
    Optional<String> fineTunedModel,
    OptionalLong trainedTokens,
    Optional<String> resultFile,
    Optional<JobError> error,
    long createdMillis,
    long updatedMillis,
    OptionalLong finishedMillis,
    OptionalLong estimatedFinishMillis,
    int attempt) {

  /**
   * Why a job failed.
   *
   * @param code machine-readable code
   * @param message what happened
   * @param param the request field at fault, if any
   */
  public record JobError(String code, String message, Optional<String> param) {}
}
