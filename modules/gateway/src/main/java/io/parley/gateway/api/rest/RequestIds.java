package io.parley.gateway.api.rest;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids ({@code req_} + 32 hex digits), one per HTTP request, sent back in {@code
 * x-request-id}.
 */
final class RequestIds {

  /** Request property holding the id. */
  static final String PROPERTY = "parley.request-id";

  /** Request property holding {@link System#nanoTime()} at arrival. */
  static final String STARTED = "parley.request-started";

  private RequestIds() {}

  static String next() {
    var random = ThreadLocalRandom.current();
    return "req_"
        + HexFormat.of().toHexDigits(random.nextLong())
        + HexFormat.of().toHexDigits(random.nextLong());
  }
}
