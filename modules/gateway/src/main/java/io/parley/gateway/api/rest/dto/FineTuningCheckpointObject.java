package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.Map;

/** OpenAI's {@code fine_tuning.job.checkpoint} object. */
@JsonPropertyOrder({
  "object",
  "id",
  "created_at",
  "fine_tuned_model_checkpoint",
  "fine_tuning_job_id",
  "metrics",
  "step_number"
})
public record FineTuningCheckpointObject(
    String object,
    String id,
    long createdAt,
    String fineTunedModelCheckpoint,
    String fineTuningJobId,
    Map<String, Object> metrics,
    int stepNumber) {}
