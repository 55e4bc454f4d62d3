package io.parley.usage.domain;

/**
 * Cost of one request in micro-dollars, split into its line items.
 *
 * @param inputMicros prompt tokens
 * @param outputMicros completion tokens
 */
public record Cost(long inputMicros, long outputMicros) {

  /** input + output. */
  public long totalMicros() {
    return inputMicros + outputMicros;
  }
}
