package io.parley.trainer.model;

import io.parley.trainer.TrainerException;

/**
 * Where LoRA goes and how large it is: rank {@code r}, scale {@code alpha / r}, on the attention
 * projections q, k, v, o and, with {@code mlp}, on the MLP's gate, up and down projections.
 */
public record LoraOptions(int rank, float alpha, boolean mlp) {

  public static final LoraOptions DEFAULT = new LoraOptions(8, 16f, false);

  public LoraOptions {
    if (rank < 1 || rank > 256) {
      throw new TrainerException("lora rank must be between 1 and 256");
    }
    if (!(alpha > 0) || alpha > 4096) {
      throw new TrainerException("lora alpha must be greater than 0 and at most 4096");
    }
  }

  public float scale() {
    return alpha / rank;
  }
}
