package io.parley.embeddings.domain;

import java.util.Arrays;

/** Vector arithmetic shared by the engines. */
public final class Vectors {

  private Vectors() {}

  /** Scales a vector to unit length in place (a zero vector stays zero) and returns it. */
  public static float[] normalize(float[] vector) {
    double sum = 0;
    for (float v : vector) {
      sum += (double) v * v;
    }
    if (sum > 0) {
      float scale = (float) (1.0 / Math.sqrt(sum));
      for (int i = 0; i < vector.length; i++) {
        vector[i] *= scale;
      }
    }
    return vector;
  }

  /**
   * Matryoshka truncation: the first {@code dimensions} components, renormalised to unit length.
   * Returns the vector itself when it already has that size.
   */
  public static float[] truncate(float[] vector, int dimensions) {
    if (dimensions >= vector.length) {
      return vector;
    }
    return normalize(Arrays.copyOf(vector, dimensions));
  }

  /** Cosine similarity of two vectors of the same size. */
  public static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }
}
