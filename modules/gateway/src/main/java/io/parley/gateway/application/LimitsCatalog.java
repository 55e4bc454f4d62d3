package io.parley.gateway.application;

import io.parley.gateway.domain.OrganizationLimits;
import io.parley.gateway.domain.RateLimits;
import io.parley.usage.v1.Limits;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The rate limits of each organization: from the usage service ({@code GetLimits}), kept for {@code
 * parley.gateway.limits.cache-ms} so a change takes effect within that time; without a usage
 * service, the configured defaults ({@code parley.gateway.limits.rpm}, {@code .tpm}, {@code
 * .models}). When the usage service cannot answer, the last answer is kept, or the defaults used.
 */
@ApplicationScoped
public class LimitsCatalog {

  private static final Logger LOG = Logger.getLogger(LimitsCatalog.class.getName());

  private UsageBackend usage;
  private OrganizationLimits defaults;
  private long cacheNanos;
  private LongSupplier clock;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  private record Cached(OrganizationLimits limits, long until) {}

  /** For CDI proxies. */
  protected LimitsCatalog() {}

  @Inject
  public LimitsCatalog(
      UsageBackend usage,
      @ConfigProperty(name = "parley.gateway.limits.rpm") long rpm,
      @ConfigProperty(name = "parley.gateway.limits.tpm") long tpm,
      @ConfigProperty(name = "parley.gateway.limits.models") Optional<String> models,
      @ConfigProperty(name = "parley.gateway.limits.cache-ms") long cacheMillis) {
    this(
        usage,
        new OrganizationLimits(
            new RateLimits(rpm, tpm), RateLimiter.parseModels(models.orElse(""))),
        cacheMillis,
        System::nanoTime);
  }

  /**
   * @param usage the usage service (not called when not {@link UsageBackend#enabled()})
   * @param defaults limits without a usage service
   * @param cacheMillis how long an answer of the usage service is used
   * @param clock nanosecond clock
   */
  public LimitsCatalog(
      UsageBackend usage, OrganizationLimits defaults, long cacheMillis, LongSupplier clock) {
    this.usage = usage;
    this.defaults = defaults;
    this.cacheNanos = cacheMillis * 1_000_000;
    this.clock = clock;
  }

  /** The limits of an organization now. */
  public OrganizationLimits of(String organization) {
    if (!usage.enabled()) {
      return defaults;
    }
    long now = clock.getAsLong();
    var cached = cache.get(organization);
    if (cached != null && now - cached.until < 0) {
      return cached.limits;
    }
    try {
      var limits = fromProto(usage.getLimits(organization));
      cache.put(organization, new Cached(limits, now + cacheNanos));
      return limits;
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "GetLimits failed for " + organization, e);
      var fallback = cached != null ? cached.limits : defaults;
      // Try again after a short pause rather than on every request.
      cache.put(organization, new Cached(fallback, now + Math.min(cacheNanos, 1_000_000_000L)));
      return fallback;
    }
  }

  /** Forgets what is cached of an organization (after its limits were changed here). */
  public void forget(String organization) {
    cache.remove(organization);
  }

  /** Forgets everything cached. */
  public void forgetAll() {
    cache.clear();
  }

  static OrganizationLimits fromProto(Limits limits) {
    var models = new HashMap<String, RateLimits>();
    for (var model : limits.getModelLimitsList()) {
      models.put(
          model.getModel(),
          new RateLimits(
              Math.max(0, model.getRequestsPerMinute()), Math.max(0, model.getTokensPerMinute())));
    }
    return new OrganizationLimits(
        new RateLimits(
            Math.max(0, limits.getRequestsPerMinute()), Math.max(0, limits.getTokensPerMinute())),
        models);
  }
}
