package io.parley.safety.domain;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Turns texts into the sentence vectors the heads read. */
public interface SentenceEncoder {

  /** Id of the encoder, as recorded in the heads it serves. */
  String id();

  /**
   * Encodes texts. A text longer than the encoder's window is cut into overlapping windows, each
   * encoded on its own.
   *
   * @param texts non-empty texts
   * @return per text, in order, one unit vector per window
   * @throws SafetyException (or completes with one) when the encoder cannot take the work
   */
  CompletableFuture<List<List<float[]>>> encode(List<String> texts);
}
