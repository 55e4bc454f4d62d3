package io.parley.gateway.application;

import io.parley.gateway.domain.BucketState;
import io.parley.gateway.domain.Durations;
import io.parley.gateway.domain.RateLimitExceededException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the rate limiter decided for a request: the tightest request bucket and the tightest token
 * bucket (the ones with the least left) as the {@code x-ratelimit-*} headers show them, and the
 * bucket that refused, if one did.
 *
 * @param requests tightest RPM bucket, when any applies
 * @param tokens tightest TPM bucket, when any applies
 * @param refused the bucket that refused the request
 * @param refusedTokens whether the refusing bucket counts tokens
 */
public record RateLimitDecision(
    Optional<BucketState> requests,
    Optional<BucketState> tokens,
    Optional<BucketState> refused,
    boolean refusedTokens) {

  /** No limit applies (or the limiter could not be asked and fails open). */
  public static final RateLimitDecision UNLIMITED =
      new RateLimitDecision(Optional.empty(), Optional.empty(), Optional.empty(), false);

  /** The decision from the states of every bucket asked ({@code tokenBucket[i]}: counts tokens). */
  static RateLimitDecision of(List<BucketState> states, List<Boolean> tokenBucket) {
    BucketState requests = null;
    BucketState tokens = null;
    BucketState refused = null;
    boolean refusedTokens = false;
    for (int i = 0; i < states.size(); i++) {
      var state = states.get(i);
      boolean isTokens = tokenBucket.get(i);
      if (isTokens) {
        tokens = tighter(tokens, state);
      } else {
        requests = tighter(requests, state);
      }
      if (state.refused() && (refused == null || state.waitMillis() > refused.waitMillis())) {
        refused = state;
        refusedTokens = isTokens;
      }
    }
    return new RateLimitDecision(
        Optional.ofNullable(requests),
        Optional.ofNullable(tokens),
        Optional.ofNullable(refused),
        refusedTokens);
  }

  private static BucketState tighter(BucketState a, BucketState b) {
    if (a == null) {
      return b;
    }
    double left = (double) a.remaining() / a.bucket().limit();
    double right = (double) b.remaining() / b.bucket().limit();
    return right < left ? b : a;
  }

  /** Whether the request may run. */
  public boolean allowed() {
    return refused.isEmpty();
  }

  /** The {@code x-ratelimit-*} headers (none for a kind without a limit). */
  public Map<String, String> headers() {
    var headers = new LinkedHashMap<String, String>();
    requests.ifPresent(
        s -> {
          headers.put("x-ratelimit-limit-requests", Long.toString(s.bucket().limit()));
          headers.put("x-ratelimit-remaining-requests", Long.toString(s.remaining()));
          headers.put("x-ratelimit-reset-requests", Durations.format(s.resetMillis()));
        });
    tokens.ifPresent(
        s -> {
          headers.put("x-ratelimit-limit-tokens", Long.toString(s.bucket().limit()));
          headers.put("x-ratelimit-remaining-tokens", Long.toString(s.remaining()));
          headers.put("x-ratelimit-reset-tokens", Durations.format(s.resetMillis()));
        });
    return headers;
  }

  /**
   * The 429 of a refused request: OpenAI's message, {@code retry-after} (whole seconds, at least
   * 1), {@code retry-after-ms} and the rate-limit headers.
   */
  public RateLimitExceededException exception(String model, String organization) {
    var state = refused.orElseThrow();
    var headers = new LinkedHashMap<String, String>();
    headers.put("retry-after", Long.toString(Math.max(1, (state.waitMillis() + 999) / 1000)));
    headers.put("retry-after-ms", Long.toString(state.waitMillis()));
    if (state.bucket().cost() > state.bucket().limit()) {
      headers.put("x-should-retry", "false");
    }
    headers.putAll(headers());
    return new RateLimitExceededException(
        refusedTokens ? "tokens" : "requests",
        RateLimitExceededException.message(model, organization, state, refusedTokens),
        headers);
  }
}
