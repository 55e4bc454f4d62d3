package io.parley.inference.domain;

import java.util.List;

/**
 * Receives the results of one generation. Calls come from the engine's thread, never concurrently
 * for one generation. Implementations should return quickly; an exception thrown by a callback
 * cancels the generation.
 */
public interface GenerationSink {

  /**
   * Once per choice when echo is set, before any generated text: the prompt text and its tokens
   * (with logprobs when requested).
   */
  void onEcho(int index, String promptText, List<TokenLogprob> promptTokens);

  /**
   * New text for choice {@code index} (may be "" while bytes of a UTF-8 character or a possible
   * stop-string prefix are held back) and the tokens it came from (logprobs filled only if
   * requested).
   */
  void onDelta(int index, String text, List<TokenLogprob> tokens);

  /** Once per choice, after its last delta. */
  void onFinish(int index, FinishReason reason);

  /**
   * Exactly once at the end when all choices finished: usage counts (prompt tokens counted once;
   * completion tokens summed over all generated sequences including best_of ones not returned).
   */
  void onComplete(Usage usage);

  /** Exactly once instead of onComplete on failure. */
  void onError(InferenceException error);
}
