package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's {@code fine_tuning.job} object. Hyperparameter values are numbers, or {@code "auto"}
 * until the trainer resolved them; {@code error} is {@code null} unless the job failed.
 */
@JsonPropertyOrder({
  "object",
  "id",
  "model",
  "created_at",
  "finished_at",
  "fine_tuned_model",
  "organization_id",
  "result_files",
  "status",
  "validation_file",
  "training_file",
  "hyperparameters",
  "trained_tokens",
  "error",
  "user_provided_suffix",
  "seed",
  "estimated_finish",
  "integrations",
  "metadata",
  "method"
})
public record FineTuningJobObject(
    String object,
    String id,
    String model,
    long createdAt,
    Long finishedAt,
    String fineTunedModel,
    String organizationId,
    List<String> resultFiles,
    String status,
    String validationFile,
    String trainingFile,
    Map<String, Object> hyperparameters,
    Long trainedTokens,
    JobError error,
    String userProvidedSuffix,
    long seed,
    Long estimatedFinish,
    List<Object> integrations,
    Map<String, String> metadata,
    Method method) {

  /** Why a job failed. */
  public record JobError(String code, String message, String param) {}

  /** {@code {"type":"supervised","supervised":{"hyperparameters":{…}}}}. */
  public record Method(String type, Supervised supervised) {}

  /** The supervised method's settings. */
  public record Supervised(Map<String, Object> hyperparameters) {}
}
