package io.parley.usage.domain;

/**
 * Price of a model in micro-dollars per million tokens.
 *
 * @param promptPerMillion prompt tokens
 * @param completionPerMillion completion tokens
 */
public record Price(long promptPerMillion, long completionPerMillion) {

  public Price {
    if (promptPerMillion < 0 || completionPerMillion < 0) {
      throw new IllegalArgumentException("Prices must not be negative");
    }
  }

  /**
   * The cost of {@code tokens}: each line item rounded up to a whole micro-dollar, so a request is
   * never billed less than it used.
   */
  public Cost cost(TokenCounts tokens) {
    return new Cost(
        ceilDiv(Math.multiplyExact(tokens.prompt(), promptPerMillion)),
        ceilDiv(Math.multiplyExact(tokens.completion(), completionPerMillion)));
  }

  private static long ceilDiv(long value) {
    return Math.ceilDiv(value, 1_000_000L);
  }
}
