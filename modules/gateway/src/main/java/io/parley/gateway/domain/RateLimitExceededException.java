package io.parley.gateway.domain;

import java.util.Map;

/**
 * A per-minute limit refused the request (HTTP 429 {@code rate_limit_exceeded}; the error type says
 * which limit: {@code requests} or {@code tokens}). Carries {@code retry-after} and the {@code
 * x-ratelimit-*} headers. The message is OpenAI's.
 */
public class RateLimitExceededException extends GatewayException {

  /**
   * @param type {@code requests} or {@code tokens}
   * @param message OpenAI's message
   * @param headers {@code retry-after}, {@code retry-after-ms} and the {@code x-ratelimit-*}
   *     headers
   */
  public RateLimitExceededException(String type, String message, Map<String, String> headers) {
    super(429, type, "rate_limit_exceeded", null, message, headers);
  }

  /**
   * The message OpenAI sends.
   *
   * @param model model of the request
   * @param organization organization of the request
   * @param refused the bucket that refused
   * @param tokens whether it counts tokens (else requests)
   */
  public static String message(
      String model, String organization, BucketState refused, boolean tokens) {
    var bucket = refused.bucket();
    var what = tokens ? "tokens per min (TPM)" : "requests per min (RPM)";
    if (bucket.cost() > bucket.limit()) {
      return "Request too large for "
          + model
          + " in organization "
          + organization
          + " on "
          + what
          + ": Limit "
          + bucket.limit()
          + ", Requested "
          + bucket.cost()
          + ". The input or output tokens must be reduced in order to run successfully.";
    }
    return "Rate limit reached for "
        + model
        + " in organization "
        + organization
        + " on "
        + what
        + ": Limit "
        + bucket.limit()
        + ", Used "
        + refused.used()
        + ", Requested "
        + bucket.cost()
        + ". Please try again in "
        + Durations.format(refused.waitMillis())
        + ".";
  }
}
