package io.parley.gateway.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.LimiterUnavailableException;
import io.parley.gateway.domain.OrganizationLimits;
import io.parley.gateway.domain.RateLimitExceededException;
import io.parley.gateway.domain.RateLimits;
import io.parley.gateway.domain.Role;
import io.parley.gateway.infrastructure.MemoryBucketStore;
import io.parley.gateway.infrastructure.RedisBucketStore;
import io.parley.gateway.infrastructure.RedisEndpoint;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

  private static final Caller CALLER = new Caller("org-a", "user-1", Role.READER, "key-1", false);

  private final AtomicLong now = new AtomicLong(5_000_000);

  private RateLimiter limiter(OrganizationLimits limits, RateLimits perKey) {
    return new RateLimiter(new MemoryBucketStore(now::get), org -> limits, perKey, false, 1);
  }

  @Test
  void admitted_reportsTheHeadersOfTheTightestBuckets() {
    var limiter =
        limiter(new OrganizationLimits(new RateLimits(60, 10_000), Map.of()), RateLimits.NONE);

    var decision = limiter.admit(CALLER, "stories", 1_000);

    assertThat(decision.allowed()).isTrue();
    assertThat(decision.headers())
        .containsExactly(
            Map.entry("x-ratelimit-limit-requests", "60"),
            Map.entry("x-ratelimit-remaining-requests", "59"),
            Map.entry("x-ratelimit-reset-requests", "1s"),
            Map.entry("x-ratelimit-limit-tokens", "10000"),
            Map.entry("x-ratelimit-remaining-tokens", "9000"),
            Map.entry("x-ratelimit-reset-tokens", "6s"));
  }

  @Test
  void unlimited_hasNoHeaders_andTouchesNoStore() {
    var limiter =
        new RateLimiter(
            new RedisBucketStore(
                new RedisEndpoint("redis://127.0.0.1:1", Optional.empty(), Duration.ofMillis(100)),
                "x:"),
            org -> OrganizationLimits.NONE,
            RateLimits.NONE,
            false,
            1);

    var decision = limiter.admit(CALLER, "stories", 1_000);

    assertThat(decision.allowed()).isTrue();
    assertThat(decision.headers()).isEmpty();
  }

  @Test
  void requestsExhausted_is429WithOpenAisMessage() {
    var limiter = limiter(new OrganizationLimits(new RateLimits(2, 0), Map.of()), RateLimits.NONE);
    limiter.admit(CALLER, "stories", 10);
    limiter.admit(CALLER, "stories", 10);

    var decision = limiter.admit(CALLER, "stories", 10);
    var error = decision.exception("stories", "org-a");

    assertThat(decision.allowed()).isFalse();
    assertThat(error.status()).isEqualTo(429);
    assertThat(error.type()).isEqualTo("requests");
    assertThat(error.code()).contains("rate_limit_exceeded");
    assertThat(error.getMessage())
        .isEqualTo(
            "Rate limit reached for stories in organization org-a on requests per min (RPM):"
                + " Limit 2, Used 2, Requested 1. Please try again in 30s.");
    assertThat(error.headers())
        .containsEntry("retry-after", "30")
        .containsEntry("retry-after-ms", "30000")
        .containsEntry("x-ratelimit-remaining-requests", "0")
        .containsEntry("x-ratelimit-reset-requests", "1m0s");
  }

  @Test
  void tokensExhausted_is429TokensWithFractionalWait() {
    var limiter =
        limiter(new OrganizationLimits(new RateLimits(0, 1_000), Map.of()), RateLimits.NONE);
    limiter.admit(CALLER, "stories", 900);

    RateLimitExceededException error =
        limiter.admit(CALLER, "stories", 125).exception("stories", "org-a");

    assertThat(error.type()).isEqualTo("tokens");
    assertThat(error.getMessage())
        .isEqualTo(
            "Rate limit reached for stories in organization org-a on tokens per min (TPM):"
                + " Limit 1000, Used 900, Requested 125. Please try again in 1.5s.");
    assertThat(error.headers()).containsEntry("retry-after", "2");
  }

  @Test
  void requestLargerThanTheLimit_saysSo_andShouldNotBeRetried() {
    var limiter =
        limiter(new OrganizationLimits(new RateLimits(0, 1_000), Map.of()), RateLimits.NONE);

    var error = limiter.admit(CALLER, "stories", 4_000).exception("stories", "org-a");

    assertThat(error.getMessage())
        .isEqualTo(
            "Request too large for stories in organization org-a on tokens per min (TPM): Limit"
                + " 1000, Requested 4000. The input or output tokens must be reduced in order to"
                + " run successfully.");
    assertThat(error.headers()).containsEntry("x-should-retry", "false");
  }

  @Test
  void perKeyAndPerModelLimits_applyOnTopOfTheOrganizations() {
    var limiter =
        limiter(
            new OrganizationLimits(new RateLimits(100, 0), Map.of("big", new RateLimits(1, 0))),
            new RateLimits(3, 0));

    assertThat(limiter.admit(CALLER, "big", 1).allowed()).isTrue();
    assertThat(limiter.admit(CALLER, "big", 1).allowed()).isFalse();
    assertThat(limiter.admit(CALLER, "small", 1).allowed()).isTrue();
    assertThat(limiter.admit(CALLER, "small", 1).allowed()).isTrue();
    var keyLimited = limiter.admit(CALLER, "small", 1);
    assertThat(keyLimited.allowed()).isFalse();
    assertThat(keyLimited.headers()).containsEntry("x-ratelimit-limit-requests", "3");
    var otherKey = new Caller("org-a", "user-1", Role.READER, "key-2", false);
    assertThat(limiter.admit(otherKey, "small", 1).allowed()).isTrue();
  }

  @Test
  void correct_givesBackWhatWasNotUsed() {
    var limiter =
        limiter(new OrganizationLimits(new RateLimits(0, 1_000), Map.of()), RateLimits.NONE);
    limiter.admit(CALLER, "stories", 800);

    limiter.correct(CALLER, "stories", -700);

    assertThat(limiter.peek(CALLER).headers()).containsEntry("x-ratelimit-remaining-tokens", "900");
  }

  @Test
  void redisDown_failOpen_letsRequestsThroughWithoutHeaders() {
    var limiter = redisDown(true);

    var decision = limiter.admit(CALLER, "stories", 10);

    assertThat(decision.allowed()).isTrue();
    assertThat(decision.headers()).isEmpty();
  }

  @Test
  void redisDown_failClosed_refusesWith503() {
    var limiter = redisDown(false);

    assertThatThrownBy(() -> limiter.admit(CALLER, "stories", 10))
        .isInstanceOfSatisfying(
            LimiterUnavailableException.class,
            e -> {
              assertThat(e.status()).isEqualTo(503);
              assertThat(e.headers()).containsEntry("retry-after", "1");
            });
  }

  private static RateLimiter redisDown(boolean failOpen) {
    return new RateLimiter(
        new RedisBucketStore(
            new RedisEndpoint("redis://127.0.0.1:1", Optional.empty(), Duration.ofMillis(100)),
            "x:"),
        org -> new OrganizationLimits(new RateLimits(10, 100), Map.of()),
        RateLimits.NONE,
        failOpen,
        1);
  }
}
