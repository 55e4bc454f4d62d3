package io.parley.safety.application;

import io.parley.safety.domain.ModerationResult;
import java.util.List;

/**
 * The answer to a moderation request.
 *
 * @param model the model that classified the inputs
 * @param results one result per input, in order
 */
public record Moderation(String model, List<ModerationResult> results) {
  public Moderation {
    results = List.copyOf(results);
  }
}
