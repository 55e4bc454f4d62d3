package io.parley.inference.infrastructure.llama;

import java.util.List;

/**
 * Finds stop strings in streamed text. Text that could be the beginning of a stop string is held
 * back until it is known not to be one, so a stop string is never emitted, not even partly.
 */
final class StopMatcher {

  /**
   * Text that may be emitted now, and whether a stop string was found (the text ends just before
   * it).
   */
  record Result(String emit, boolean stopped) {}

  private final List<String> stops;
  private String held = "";

  StopMatcher(List<String> stops) {
    this.stops = stops.stream().filter(s -> !s.isEmpty()).toList();
  }

  Result append(String text) {
    if (stops.isEmpty()) {
      return new Result(text, false);
    }
    String buffer = held + text;
    int first = -1;
    for (String stop : stops) {
      int at = buffer.indexOf(stop);
      if (at >= 0 && (first < 0 || at < first)) {
        first = at;
      }
    }
    if (first >= 0) {
      held = "";
      return new Result(buffer.substring(0, first), true);
    }
    int keep = longestSuffixThatIsStopPrefix(buffer);
    held = buffer.substring(buffer.length() - keep);
    return new Result(buffer.substring(0, buffer.length() - keep), false);
  }

  /**
   * Returns the held-back text (the generation ended without completing a stop string) and resets.
   */
  String flush() {
    String text = held;
    held = "";
    return text;
  }

  String held() {
    return held;
  }

  private int longestSuffixThatIsStopPrefix(String buffer) {
    int best = 0;
    for (String stop : stops) {
      int max = Math.min(stop.length() - 1, buffer.length());
      for (int k = max; k > best; k--) {
        if (buffer.regionMatches(buffer.length() - k, stop, 0, k)) {
          best = k;
          break;
        }
      }
    }
    return best;
  }
}
