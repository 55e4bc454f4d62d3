package io.parley.embeddings.infrastructure.onnx;

import java.util.Locale;

/** How the token vectors of a sequence become one sentence vector. */
public enum PoolingMode {
  /** Average of the token vectors under the attention mask (sentence-transformers' default). */
  MEAN,
  /** The vector of the first token ([CLS]), as BGE models are trained. */
  CLS;

  /** Parses {@code mean} or {@code cls}. */
  public static PoolingMode parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Unknown pooling mode '" + value + "' (mean | cls)", e);
    }
  }
}
