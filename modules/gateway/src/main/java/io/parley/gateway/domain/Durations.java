package io.parley.gateway.domain;

/**
 * Durations written as OpenAI writes them in {@code x-ratelimit-reset-*} and in 429 messages (Go's
 * {@code time.Duration} format at millisecond precision): {@code 0s}, {@code 20ms}, {@code 1s},
 * {@code 1.5s}, {@code 6m0s}, {@code 1h2m3.25s}.
 */
public final class Durations {

  private Durations() {}

  /**
   * @param millis a duration in milliseconds; negative values are written as {@code 0s}
   */
  public static String format(long millis) {
    if (millis <= 0) {
      return "0s";
    }
    if (millis < 1000) {
      return millis + "ms";
    }
    var out = new StringBuilder();
    long hours = millis / 3_600_000;
    long minutes = millis / 60_000 % 60;
    long seconds = millis / 1000 % 60;
    long fraction = millis % 1000;
    if (hours > 0) {
      out.append(hours).append('h');
    }
    if (hours > 0 || minutes > 0) {
      out.append(minutes).append('m');
    }
    out.append(seconds);
    if (fraction > 0) {
      var digits = String.format("%03d", fraction);
      int end = digits.length();
      while (digits.charAt(end - 1) == '0') {
        end--;
      }
      out.append('.').append(digits, 0, end);
    }
    return out.append('s').toString();
  }
}
