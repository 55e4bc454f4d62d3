package io.parley.inference.domain;

import java.util.Objects;

/**
 * A fine-tuned model as the registry (the files service) describes it: a LoRA adapter over a base
 * model, owned by one organization.
 *
 * @param id model id used in requests ({@code ft:<base>:<org>:<suffix>:<job>} or the legacy {@code
 *     <base>:ft-<org>[:<suffix>]-<date>})
 * @param organization owning organization
 * @param baseModel the base model the adapter applies to
 * @param createdAt creation time, seconds since the epoch
 * @param adapterSha256 SHA-256 of the adapter's GGUF bytes, lower-case hex
 * @param adapterBytes size of the adapter in bytes
 */
public record FineTunedModel(
    String id,
    String organization,
    String baseModel,
    long createdAt,
    String adapterSha256,
    long adapterBytes) {

  public FineTunedModel {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(organization, "organization");
    Objects.requireNonNull(baseModel, "baseModel");
    Objects.requireNonNull(adapterSha256, "adapterSha256");
  }

  /** Largest model id considered (longer ids are never fine-tuned models). */
  public static final int MAX_ID_LENGTH = 256;

  /**
   * Whether {@code model} has the shape of a fine-tuned model id ({@code ft:…} or {@code …:ft-…}),
   * so that asking the registry about it makes sense.
   */
  public static boolean looksFineTuned(String model) {
    return model.length() <= MAX_ID_LENGTH
        && (model.startsWith("ft:") || model.contains(":ft-"))
        && model.chars().noneMatch(Character::isISOControl);
  }
}
