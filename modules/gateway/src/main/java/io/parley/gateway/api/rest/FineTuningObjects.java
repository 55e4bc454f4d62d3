package io.parley.gateway.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.finetuning.v1.Checkpoint;
import io.parley.finetuning.v1.Hyperparameters;
import io.parley.finetuning.v1.Job;
import io.parley.finetuning.v1.JobEvent;
import io.parley.finetuning.v1.JobStatus;
import io.parley.gateway.api.rest.dto.FileObject;
import io.parley.gateway.api.rest.dto.FineTuneEventObject;
import io.parley.gateway.api.rest.dto.FineTuneObject;
import io.parley.gateway.api.rest.dto.FineTuningCheckpointObject;
import io.parley.gateway.api.rest.dto.FineTuningEventObject;
import io.parley.gateway.api.rest.dto.FineTuningJobObject;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The fine-tuning service's messages as OpenAI objects (current and legacy API). */
final class FineTuningObjects {

  private FineTuningObjects() {}

  /** The current API's status names. */
  static String status(JobStatus status) {
    return switch (status) {
      case JOB_STATUS_VALIDATING_FILES -> "validating_files";
      case JOB_STATUS_RUNNING -> "running";
      case JOB_STATUS_SUCCEEDED -> "succeeded";
      case JOB_STATUS_FAILED -> "failed";
      case JOB_STATUS_CANCELLED -> "cancelled";
      case JOB_STATUS_PAUSED -> "paused";
      default -> "queued";
    };
  }

  /** The legacy API's status names. */
  static String legacyStatus(JobStatus status) {
    return switch (status) {
      case JOB_STATUS_RUNNING -> "running";
      case JOB_STATUS_SUCCEEDED -> "succeeded";
      case JOB_STATUS_FAILED -> "failed";
      case JOB_STATUS_CANCELLED -> "cancelled";
      default -> "pending";
    };
  }

  /** Whether a job has ended for good. */
  static boolean ended(JobStatus status) {
    return status == JobStatus.JOB_STATUS_SUCCEEDED
        || status == JobStatus.JOB_STATUS_FAILED
        || status == JobStatus.JOB_STATUS_CANCELLED;
  }

  private static Map<String, Object> hyperparameters(Hyperparameters h) {
    var out = new LinkedHashMap<String, Object>();
    out.put("batch_size", h.hasBatchSize() ? (Object) h.getBatchSize() : "auto");
    out.put(
        "learning_rate_multiplier",
        h.hasLearningRateMultiplier() ? (Object) h.getLearningRateMultiplier() : "auto");
    out.put("n_epochs", h.hasNEpochs() ? (Object) h.getNEpochs() : "auto");
    return out;
  }

  static FineTuningJobObject job(Job j) {
    var hp = hyperparameters(j.getHyperparameters());
    return new FineTuningJobObject(
        "fine_tuning.job",
        j.getId(),
        j.getModel(),
        j.getCreatedAt(),
        j.getFinishedAt() == 0 ? null : j.getFinishedAt(),
        j.getFineTunedModel().isEmpty() ? null : j.getFineTunedModel(),
        j.getOrganization(),
        List.copyOf(j.getResultFilesList()),
        status(j.getStatus()),
        j.getValidationFile().isEmpty() ? null : j.getValidationFile(),
        j.getTrainingFile(),
        hp,
        j.getStatus() == JobStatus.JOB_STATUS_SUCCEEDED ? j.getTrainedTokens() : null,
        j.getErrorCode().isEmpty()
            ? null
            : new FineTuningJobObject.JobError(
                j.getErrorCode(),
                j.getErrorMessage(),
                j.getErrorParam().isEmpty() ? null : j.getErrorParam()),
        j.getSuffix().isEmpty() ? null : j.getSuffix(),
        j.getSeed(),
        j.getEstimatedFinish() == 0 || ended(j.getStatus()) ? null : j.getEstimatedFinish(),
        List.of(),
        j.getMetadataCount() == 0 ? null : Map.copyOf(j.getMetadataMap()),
        new FineTuningJobObject.Method("supervised", new FineTuningJobObject.Supervised(hp)));
  }

  static FineTuningEventObject event(JobEvent e) {
    JsonNode data = null;
    if (!e.getDataJson().isEmpty()) {
      try {
        data = Json.MAPPER.readTree(e.getDataJson());
      } catch (IOException invalid) {
        data = null;
      }
    }
    return new FineTuningEventObject(
        "fine_tuning.job.event",
        e.getId(),
        e.getCreatedAt(),
        e.getLevel(),
        e.getMessage(),
        e.getType(),
        data);
  }

  static FineTuningCheckpointObject checkpoint(String jobId, Checkpoint c) {
    var metrics = new LinkedHashMap<String, Object>();
    metrics.put("step", (double) c.getStepNumber());
    metrics.put("train_loss", c.getTrainLoss());
    metrics.put("train_mean_token_accuracy", c.getTrainMeanTokenAccuracy());
    if (c.hasValidLoss()) {
      metrics.put("valid_loss", c.getValidLoss());
    }
    if (c.hasValidMeanTokenAccuracy()) {
      metrics.put("valid_mean_token_accuracy", c.getValidMeanTokenAccuracy());
    }
    return new FineTuningCheckpointObject(
        "fine_tuning.job.checkpoint",
        c.getId(),
        c.getCreatedAt(),
        c.getFineTunedModelCheckpoint(),
        jobId,
        metrics,
        c.getStepNumber());
  }

  static FineTuneEventObject legacyEvent(JobEvent e) {
    return new FineTuneEventObject(
        "fine-tune-event", e.getCreatedAt(), e.getLevel(), e.getMessage());
  }

  /**
   * A legacy fine-tune object.
   *
   * @param files the job's files as file objects, by id (missing ones are left out)
   */
  static FineTuneObject legacy(
      Job j, List<FineTuneEventObject> events, Map<String, FileObject> files) {
    var h = j.getHyperparameters();
    var hp = new LinkedHashMap<String, Object>();
    hp.put("batch_size", h.hasBatchSize() ? h.getBatchSize() : null);
    hp.put(
        "learning_rate_multiplier",
        h.hasLearningRateMultiplier() ? h.getLearningRateMultiplier() : null);
    hp.put("n_epochs", h.hasNEpochs() ? h.getNEpochs() : null);
    hp.put("prompt_loss_weight", h.hasPromptLossWeight() ? h.getPromptLossWeight() : 0.01);
    return new FineTuneObject(
        j.getId(),
        "fine-tune",
        j.getModel(),
        j.getCreatedAt(),
        events,
        j.getFineTunedModel().isEmpty() ? null : j.getFineTunedModel(),
        hp,
        j.getOrganization(),
        j.getResultFilesList().stream().filter(files::containsKey).map(files::get).toList(),
        legacyStatus(j.getStatus()),
        j.getValidationFile().isEmpty() || !files.containsKey(j.getValidationFile())
            ? List.of()
            : List.of(files.get(j.getValidationFile())),
        files.containsKey(j.getTrainingFile())
            ? List.of(files.get(j.getTrainingFile()))
            : List.of(),
        j.getUpdatedAt());
  }
}
