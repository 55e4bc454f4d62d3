package io.parley.gateway.application;

import io.parley.gateway.domain.Bucket;
import io.parley.gateway.domain.BucketStore;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.LimiterUnavailableException;
import io.parley.gateway.domain.OrganizationLimits;
import io.parley.gateway.domain.RateLimits;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Requests-per-minute and tokens-per-minute limits, as continuously refilled token buckets: per
 * organization and per model within it (limits from the usage service, or the configured defaults),
 * and per API key where configured. A generation takes one request and its estimated tokens from
 * every bucket that applies, all or none; {@link #correct} later trues the token buckets up to the
 * tokens actually used.
 *
 * <p>When the shared store cannot be reached, {@code parley.gateway.redis.fail-open} decides:
 * {@code true} lets requests through unlimited (no headers), {@code false} refuses them with 503.
 */
@ApplicationScoped
public class RateLimiter {

  private static final Logger LOG = Logger.getLogger(RateLimiter.class.getName());

  private BucketStore store;
  private Function<String, OrganizationLimits> organizationLimits;
  private RateLimits perKey;
  private boolean failOpen;
  private int retryAfterSeconds;
  private volatile long lastWarning;

  /** For CDI proxies. */
  protected RateLimiter() {}

  @Inject
  public RateLimiter(
      BucketStore store,
      LimitsCatalog limits,
      @ConfigProperty(name = "parley.gateway.limits.key-rpm") long keyRpm,
      @ConfigProperty(name = "parley.gateway.limits.key-tpm") long keyTpm,
      @ConfigProperty(name = "parley.gateway.redis.fail-open") boolean failOpen,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds) {
    this(store, limits::of, new RateLimits(keyRpm, keyTpm), failOpen, retryAfterSeconds);
  }

  /**
   * @param store where the buckets live
   * @param organizationLimits an organization's limits (organization-wide and per model)
   * @param perKey limits of each API key (0: none)
   * @param failOpen whether to let requests through when the store cannot be reached
   * @param retryAfterSeconds {@code retry-after} of a 503 when failing closed
   */
  public RateLimiter(
      BucketStore store,
      Function<String, OrganizationLimits> organizationLimits,
      RateLimits perKey,
      boolean failOpen,
      int retryAfterSeconds) {
    this.store = store;
    this.organizationLimits = organizationLimits;
    this.perKey = perKey;
    this.failOpen = failOpen;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /**
   * Takes one request and {@code tokens} tokens for a generation.
   *
   * @return the decision; when not {@link RateLimitDecision#allowed()}, nothing was taken
   * @throws LimiterUnavailableException when the store is down and the limiter fails closed
   */
  public RateLimitDecision admit(Caller caller, String model, long tokens) {
    return take(caller, model, 1, tokens);
  }

  /** The state of the organization's and key's buckets, taking nothing (for headers). */
  public RateLimitDecision peek(Caller caller) {
    return take(caller, null, 0, 0);
  }

  /**
   * Trues the token buckets of an admitted generation up to what it used.
   *
   * @param units actual tokens minus the tokens admitted (negative gives tokens back)
   */
  public void correct(Caller caller, String model, long units) {
    if (units == 0) {
      return;
    }
    var plan = plan(caller, model, 0, 0);
    try {
      for (int i = 0; i < plan.buckets.size(); i++) {
        if (plan.tokens.get(i)) {
          var bucket = plan.buckets.get(i);
          store.adjust(caller.organization(), bucket.key(), bucket.limit(), units);
        }
      }
    } catch (LimiterUnavailableException e) {
      warn();
    }
  }

  private RateLimitDecision take(Caller caller, String model, long requests, long tokens) {
    var plan = plan(caller, model, requests, tokens);
    if (plan.buckets.isEmpty()) {
      return RateLimitDecision.UNLIMITED;
    }
    try {
      return RateLimitDecision.of(store.take(caller.organization(), plan.buckets), plan.tokens);
    } catch (LimiterUnavailableException e) {
      warn();
      if (failOpen) {
        return RateLimitDecision.UNLIMITED;
      }
      throw new LimiterUnavailableException(retryAfterSeconds);
    }
  }

  private record Plan(List<Bucket> buckets, List<Boolean> tokens) {}

  private Plan plan(Caller caller, String model, long requests, long tokens) {
    var buckets = new ArrayList<Bucket>(6);
    var isTokens = new ArrayList<Boolean>(6);
    var limits = organizationLimits.apply(caller.organization());
    add(buckets, isTokens, "", limits.organization(), requests, tokens);
    add(buckets, isTokens, "key:" + caller.apiKeyId() + ":", perKey, requests, tokens);
    if (model != null) {
      var modelLimits = limits.models().get(model);
      if (modelLimits != null) {
        add(buckets, isTokens, "model:" + model + ":", modelLimits, requests, tokens);
      }
    }
    return new Plan(buckets, isTokens);
  }

  private static void add(
      List<Bucket> buckets,
      List<Boolean> isTokens,
      String scope,
      RateLimits limits,
      long requests,
      long tokens) {
    if (limits.requestsPerMinute() > 0) {
      buckets.add(new Bucket(scope + "rpm", limits.requestsPerMinute(), requests));
      isTokens.add(false);
    }
    if (limits.tokensPerMinute() > 0) {
      buckets.add(new Bucket(scope + "tpm", limits.tokensPerMinute(), tokens));
      isTokens.add(true);
    }
  }

  private void warn() {
    long now = System.nanoTime();
    if (now - lastWarning > 10_000_000_000L) {
      lastWarning = now;
      LOG.warning(
          "The rate-limit store cannot be reached; requests are "
              + (failOpen ? "let through unlimited" : "refused with 503"));
    }
  }

  /**
   * Reads per-model limits: {@code model=rpm/tpm} pairs separated by commas ({@code
   * stories=60/100000,big=10/0}); blank means none.
   */
  public static Map<String, RateLimits> parseModels(String value) {
    var limits = new HashMap<String, RateLimits>();
    if (value == null || value.isBlank() || value.strip().equals("-")) {
      return limits;
    }
    for (var entry : value.split(",")) {
      var pair = entry.strip().split("=", 2);
      var numbers = pair.length == 2 ? pair[1].split("/", 2) : new String[0];
      if (numbers.length != 2) {
        throw new IllegalArgumentException(
            "parley.gateway.limits.models: expected model=rpm/tpm, got '"
                + entry.strip().toLowerCase(Locale.ROOT)
                + "'");
      }
      limits.put(
          pair[0].strip(),
          new RateLimits(Long.parseLong(numbers[0].strip()), Long.parseLong(numbers[1].strip())));
    }
    return limits;
  }
}
