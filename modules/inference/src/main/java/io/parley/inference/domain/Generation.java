package io.parley.inference.domain;

/** Handle of a running generation. */
public interface Generation {
  /**
   * Stops the generation at the engine's next step. Unfinished choices finish with {@link
   * FinishReason#CANCELLED} and {@link GenerationSink#onComplete} reports the tokens generated so
   * far. Does nothing once completed.
   */
  void cancel();
}
