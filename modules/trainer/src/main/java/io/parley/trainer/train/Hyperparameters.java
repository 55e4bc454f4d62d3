package io.parley.trainer.train;

import io.parley.trainer.TrainerException;
import io.parley.trainer.model.LoraOptions;

/**
 * What a run is asked for; {@code null} for {@code n_epochs}, {@code batch_size} and {@code
 * learning_rate_multiplier} means "auto", sized to the dataset as OpenAI does ({@link #resolve}).
 *
 * @param promptLossWeight weight of prompt tokens in the loss for prompt/completion files (OpenAI's
 *     legacy default 0.01); chat files train the assistant messages only
 * @param maxTokens longest example in tokens; longer ones are cut
 * @param warmupRatio share of the steps over which the learning rate rises linearly to its peak,
 *     after which it falls linearly to zero
 */
public record Hyperparameters(
    Integer epochs,
    Integer batchSize,
    Double learningRateMultiplier,
    float promptLossWeight,
    LoraOptions lora,
    long seed,
    int maxTokens,
    double warmupRatio,
    double weightDecay,
    double maxGradNorm) {

  /** Learning rate of multiplier 1 (the base LoRA rate). */
  public static final double BASE_LEARNING_RATE = 1e-3;

  public static Hyperparameters defaults() {
    return new Hyperparameters(
        null, null, null, 0.01f, LoraOptions.DEFAULT, 42, 1024, 0.1, 0.0, 1.0);
  }

  public Hyperparameters {
    if (epochs != null && (epochs < 1 || epochs > 50)) {
      throw new TrainerException("n_epochs must be between 1 and 50");
    }
    if (batchSize != null && (batchSize < 1 || batchSize > 256)) {
      throw new TrainerException("batch_size must be between 1 and 256");
    }
    if (learningRateMultiplier != null
        && !(learningRateMultiplier > 0 && learningRateMultiplier <= 100)) {
      throw new TrainerException("learning_rate_multiplier must be greater than 0 and at most 100");
    }
    if (!(promptLossWeight >= 0 && promptLossWeight <= 1)) {
      throw new TrainerException("prompt_loss_weight must be between 0 and 1");
    }
    if (maxTokens < 2 || maxTokens > 1 << 16) {
      throw new TrainerException("max tokens must be between 2 and 65536");
    }
    if (!(warmupRatio >= 0 && warmupRatio < 1) || !(weightDecay >= 0) || !(maxGradNorm > 0)) {
      throw new TrainerException("bad warm-up ratio, weight decay or gradient clipping norm");
    }
  }

  /** The values a run uses. */
  public record Resolved(int epochs, int batchSize, double learningRateMultiplier) {
    public double peakLearningRate() {
      return learningRateMultiplier * BASE_LEARNING_RATE;
    }
  }

  /**
   * Fills in "auto": about 3 epochs, more for small files (at least 100 example passes, at most 25
   * epochs), fewer for large ones (at most 25000 passes, at least 1 epoch); a batch of 0.2% of the
   * examples (1 to 256); multiplier 1, or 2 when batches are larger than 8.
   */
  public Resolved resolve(int examples) {
    int e;
    if (epochs != null) {
      e = epochs;
    } else if (examples * 3L < 100) {
      e = (int) Math.min(25, (100 + examples - 1) / examples);
    } else if (examples * 3L > 25000) {
      e = Math.max(1, 25000 / examples);
    } else {
      e = 3;
    }
    int b =
        batchSize != null
            ? batchSize
            : (int) Math.max(1, Math.min(256, Math.ceil(0.002 * examples)));
    double lr = learningRateMultiplier != null ? learningRateMultiplier : b > 8 ? 2.0 : 1.0;
    return new Resolved(e, Math.min(b, examples), lr);
  }
}
