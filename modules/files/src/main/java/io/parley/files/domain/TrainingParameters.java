package io.parley.files.domain;

import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Hyperparameters as requested; an empty value means "auto" (the trainer decides).
 *
 * @param epochs passes over the training file
 * @param batchSize examples per step
 * @param learningRateMultiplier multiplier on the trainer's base learning rate
 * @param promptLossWeight weight of prompt tokens (legacy prompt/completion files)
 */
public record TrainingParameters(
    OptionalInt epochs,
    OptionalInt batchSize,
    OptionalDouble learningRateMultiplier,
    OptionalDouble promptLossWeight) {

  /** All automatic. */
  public static TrainingParameters auto() {
    return new TrainingParameters(
        OptionalInt.empty(), OptionalInt.empty(), OptionalDouble.empty(), OptionalDouble.empty());
  }

  /**
   * Values the trainer resolved (present once training started).
   *
   * @param epochs epochs
   * @param batchSize batch size
   * @param learningRateMultiplier learning-rate multiplier
   */
  public record Resolved(int epochs, int batchSize, double learningRateMultiplier) {}
}
