package io.parley.safety.domain;

import java.util.Arrays;

/**
 * One trained head: a logistic model over a sentence embedding, {@code score = σ(w·x + b)}, and the
 * score from which it flags.
 *
 * @param name head name (as the categories refer to it)
 * @param weights one weight per embedding dimension
 * @param bias intercept
 * @param threshold the head flags when its score is at least this
 */
public record LinearHead(String name, float[] weights, double bias, double threshold) {

  public LinearHead {
    weights = weights.clone();
    if (!(threshold > 0 && threshold < 1)) {
      throw new IllegalArgumentException("Head " + name + ": threshold must lie in (0, 1)");
    }
  }

  /** The head's score in [0, 1] for a vector of the embedding's size. */
  public double score(float[] vector) {
    if (vector.length != weights.length) {
      throw new IllegalArgumentException(
          "Head " + name + " takes " + weights.length + " dimensions, got " + vector.length);
    }
    double z = bias;
    for (int i = 0; i < weights.length; i++) {
      z += weights[i] * vector[i];
    }
    return 1 / (1 + Math.exp(-z));
  }

  /** Weights, copied. */
  @Override
  public float[] weights() {
    return weights.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LinearHead h
        && name.equals(h.name)
        && Arrays.equals(weights, h.weights)
        && bias == h.bias
        && threshold == h.threshold;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Arrays.hashCode(weights);
  }

  @Override
  public String toString() {
    return "LinearHead[" + name + ", threshold=" + threshold + "]";
  }
}
