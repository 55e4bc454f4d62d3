package io.parley.inference.domain;

import java.util.List;
import java.util.OptionalDouble;

/**
 * A token of a prompt or completion, with its log probability when requested.
 *
 * @param token token id
 * @param text the token's text (bytes that are not valid UTF-8 on their own appear as U+FFFD)
 * @param bytes the token's raw bytes
 * @param logprob log probability of this token given what precedes it; empty for the first prompt
 *     token and when logprobs were not requested
 * @param top the most likely alternatives at this position (empty unless requested)
 * @param textOffset character offset of this token in the choice's full text (prompt text included
 *     when echoed)
 */
public record TokenLogprob(
    int token,
    String text,
    byte[] bytes,
    OptionalDouble logprob,
    List<TopLogprob> top,
    int textOffset) {

  public TokenLogprob {
    top = List.copyOf(top);
  }
}
