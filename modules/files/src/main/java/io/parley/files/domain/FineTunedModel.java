package io.parley.files.domain;

import java.util.OptionalInt;

/**
 * A LoRA adapter over a base model, owned by one organization.
 *
 * @param id model id used in requests
 * @param organization owning organization
 * @param baseModel base model id
 * @param jobId the job that made it
 * @param checkpointStep the checkpoint's step, for a checkpoint's model
 * @param adapterKey blob key of the adapter's GGUF bytes
 * @param adapterSha256 SHA-256 of those bytes, lower-case hex
 * @param adapterBytes their size
 * @param createdMillis when
 */
public record FineTunedModel(
    String id,
    String organization,
    String baseModel,
    String jobId,
    OptionalInt checkpointStep,
    String adapterKey,
    String adapterSha256,
    long adapterBytes,
    long createdMillis) {}
