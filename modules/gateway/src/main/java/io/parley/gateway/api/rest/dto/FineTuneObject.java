package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;

/** The legacy {@code fine-tune} object of {@code /v1/fine-tunes}. */
@JsonPropertyOrder({
  "id",
  "object",
  "model",
  "created_at",
  "events",
  "fine_tuned_model",
  "hyperparams",
  "organization_id",
  "result_files",
  "status",
  "validation_files",
  "training_files",
  "updated_at"
})
public record FineTuneObject(
    String id,
    String object,
    String model,
    long createdAt,
    List<FineTuneEventObject> events,
    String fineTunedModel,
    Map<String, Object> hyperparams,
    String organizationId,
    List<FileObject> resultFiles,
    String status,
    List<FileObject> validationFiles,
    List<FileObject> trainingFiles,
    long updatedAt) {}
