package io.parley.safety.domain;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * The verdict on one input.
 *
 * @param flagged whether any category is flagged
 * @param categories every category and whether it is flagged
 * @param scores every category and its score in [0, 1]
 */
public record ModerationResult(
    boolean flagged, Map<Category, Boolean> categories, Map<Category, Double> scores) {
  public ModerationResult {
    categories = Collections.unmodifiableMap(new EnumMap<>(categories));
    scores = Collections.unmodifiableMap(new EnumMap<>(scores));
  }
}
