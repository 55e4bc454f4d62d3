package io.parley.usage.domain;

/**
 * Token counts of one request.
 *
 * @param prompt prompt tokens
 * @param completion completion tokens
 */
public record TokenCounts(long prompt, long completion) {

  public TokenCounts {
    if (prompt < 0 || completion < 0) {
      throw new InvalidUsageRequestException("Token counts must not be negative.", "tokens");
    }
  }

  /** prompt + completion. */
  public long total() {
    return prompt + completion;
  }
}
