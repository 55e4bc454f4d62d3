package io.parley.trainer.data;

/**
 * One tokenized training example: its tokens, the loss weight of each token as a prediction target
 * (0 for tokens the model only reads), and which tokens count for accuracy (assistant or completion
 * tokens).
 */
public record Example(int[] tokens, float[] weights, boolean[] scored) {}
