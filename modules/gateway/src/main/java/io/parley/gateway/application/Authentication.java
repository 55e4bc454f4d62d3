package io.parley.gateway.application;

import io.parley.gateway.domain.AuthenticationException;
import io.parley.gateway.domain.BackendUnavailableException;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.Role;
import io.parley.gateway.domain.ServiceUnavailableException;
import io.parley.usage.v1.AuthenticateResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

/**
 * Finds out who sent a request from its bearer key and {@code OpenAI-Organization} header.
 *
 * <ul>
 *   <li>The installation's bootstrap admin key (see {@link ApiKeyAuthenticator}) is an
 *       administrator: owner of any organization, by default of {@code
 *       parley.gateway.admin-organization}.
 *   <li>Without a usage service ({@code parley.usage.target} not set) it is the only key, and the
 *       admin organization the only organization.
 *   <li>Otherwise every other key is resolved by the usage service ({@code Authenticate}). Positive
 *       answers are kept for {@code parley.gateway.auth-cache-ms} under the SHA-256 of the key
 *       (never the key itself) and the organization asked for, and never past the key's expiry
 *       (expiry is checked at use). Refusals are not kept.
 *   <li>Every change of access made through a gateway (role, membership, key, service account)
 *       drops this cache on that gateway at once ({@link #forgetAll()}) and, through the {@link
 *       ChangeFeed} (Redis pub/sub), on every other replica within milliseconds. While the feed is
 *       down, cached answers are not used at all, so the bound holds. Without a shared feed (one
 *       replica, or the in-memory limiter) other replicas follow within the cache time.
 *   <li>A key longer than {@value #MAX_KEY_CHARS} characters, or an organization id longer than
 *       {@value #MAX_ORGANIZATION_CHARS}, is refused here without any call.
 * </ul>
 */
@ApplicationScoped
public class Authentication {

  /** User id of the bootstrap admin key. */
  public static final String ADMIN_USER = "user-admin";

  /** Key id of the bootstrap admin key. */
  public static final String ADMIN_KEY_ID = "key-admin";

  /** Longest key accepted (the usage service's keys are 51 characters). */
  public static final int MAX_KEY_CHARS = 256;

  /** Longest organization id accepted in {@code OpenAI-Organization}. */
  public static final int MAX_ORGANIZATION_CHARS = 64;

  private static final int MAX_ENTRIES = 100_000;

  private ApiKeyAuthenticator adminKey;
  private UsageBackend usage;
  private String adminOrganization;
  private volatile String bootstrapOrganization;
  private long cacheNanos;
  private long staleNanos;
  private LongSupplier clock;
  private InstantSource wallClock;
  private ChangeFeed feed;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  /**
   * @param until reused without asking until then (nanosecond clock)
   * @param fetched when the usage service gave the answer (nanosecond clock)
   * @param expiresAtMillis the key's expiry (wall clock); 0 = never
   */
  private record Cached(Caller caller, long until, long fetched, long expiresAtMillis) {}

  /** For CDI proxies. */
  protected Authentication() {}

  @Inject
  public Authentication(
      ApiKeyAuthenticator adminKey,
      UsageBackend usage,
      @ConfigProperty(name = "parley.gateway.admin-organization") String adminOrganization,
      @ConfigProperty(name = "parley.gateway.auth-cache-ms") long cacheMillis,
      @ConfigProperty(name = "parley.gateway.auth.stale-seconds") long staleSeconds,
      ChangeFeed feed) {
    this(
        adminKey,
        usage,
        adminOrganization,
        cacheMillis,
        staleSeconds,
        System::nanoTime,
        InstantSource.system(),
        feed);
  }

  /**
   * @param adminKey checks the bootstrap admin key
   * @param usage the usage service; not enabled for admin-key-only mode
   * @param adminOrganization the admin key's organization when the request names none
   * @param cacheMillis how long a positive answer of the usage service is reused (0: never)
   * @param staleSeconds how long a positive answer is still used while the usage service cannot be
   *     reached (0: never)
   * @param clock nanosecond clock
   * @param wallClock the time keys expire by
   * @param feed changes made on other replicas (cached answers are trusted only while it is live)
   */
  public Authentication(
      ApiKeyAuthenticator adminKey,
      UsageBackend usage,
      String adminOrganization,
      long cacheMillis,
      long staleSeconds,
      LongSupplier clock,
      InstantSource wallClock,
      ChangeFeed feed) {
    this.adminKey = adminKey;
    this.usage = usage;
    this.adminOrganization = adminOrganization;
    this.cacheNanos = cacheMillis * 1_000_000;
    this.staleNanos = staleSeconds * 1_000_000_000;
    this.clock = clock;
    this.wallClock = wallClock;
    this.feed = feed;
  }

  /**
   * @param authorization the {@code Authorization} header, if any
   * @param organization the {@code OpenAI-Organization} header, if any
   * @throws AuthenticationException for a missing or unknown key, or an organization the key cannot
   *     be used in
   */
  public Caller authenticate(Optional<String> authorization, Optional<String> organization) {
    var key =
        authorization
            .flatMap(ApiKeyAuthenticator::bearerToken)
            .orElseThrow(AuthenticationException::missingKey);
    if (key.length() > MAX_KEY_CHARS) {
      throw AuthenticationException.incorrectKey(
          key.substring(0, 8) + "…" + key.substring(key.length() - 4));
    }
    var asked = organization.map(String::strip).filter(o -> !o.isEmpty());
    if (asked.isPresent() && asked.get().length() > MAX_ORGANIZATION_CHARS) {
      throw AuthenticationException.mismatchedOrganization();
    }
    boolean usageMode = usage.enabled();
    if (adminKey.isAdminKey(key)) {
      if (!usageMode) {
        if (asked.isPresent() && !asked.get().equals(adminOrganization)) {
          throw AuthenticationException.mismatchedOrganization();
        }
        return new Caller(adminOrganization, ADMIN_USER, Role.OWNER, ADMIN_KEY_ID, true);
      }
      return new Caller(
          asked.orElseGet(() -> bootstrapOrganization(key)),
          ADMIN_USER,
          Role.OWNER,
          ADMIN_KEY_ID,
          true);
    }
    if (!usageMode) {
      throw AuthenticationException.incorrectKey(key);
    }
    var cacheKey = sha256(key) + "\n" + asked.orElse("");
    long now = clock.getAsLong();
    var cached = cache.get(cacheKey);
    if (cached != null && now - cached.until < 0 && feed.live()) {
      return cached.caller;
    }
    AuthenticateResponse response;
    try {
      response = usage.authenticate(key, asked.orElse(""));
    } catch (ServiceUnavailableException
        | BackendUnavailableException
        | CircuitBreakerOpenException
        | TimeoutException e) {
      if (cached != null
          && now - cached.fetched - staleNanos < 0
          && (cached.expiresAtMillis == 0 || wallClock.millis() < cached.expiresAtMillis)) {
        // The usage service is away: the last good answer stands for a while (outage credit).
        return cached.caller;
      }
      throw e;
    }
    var caller = toCaller(response);
    long until = now + cacheNanos;
    if (response.getApiKeyExpiresAt() > 0) {
      long left = response.getApiKeyExpiresAt() * 1000 - wallClock.millis();
      until = Math.min(until, now + Math.max(0, left) * 1_000_000);
    }
    if ((cacheNanos > 0 && until - now > 0) || staleNanos > 0) {
      if (cache.size() >= MAX_ENTRIES) {
        cache.values().removeIf(c -> now - c.until >= 0 && now - c.fetched - staleNanos >= 0);
        if (cache.size() >= MAX_ENTRIES) {
          cache.clear();
        }
      }
      cache.put(
          cacheKey,
          new Cached(
              caller,
              cacheNanos > 0 ? until : now,
              now,
              Math.max(0, response.getApiKeyExpiresAt()) * 1000));
    }
    return caller;
  }

  /**
   * The organization the admin key works in when a request names none: the usage service registered
   * the key as the owner of the organization it created first, so it says which.
   */
  private String bootstrapOrganization(String key) {
    var known = bootstrapOrganization;
    if (known == null) {
      known = usage.authenticate(key, "").getOrganization();
      bootstrapOrganization = known;
    }
    return known;
  }

  /** Forgets every cached answer (after access changed, here or on another replica). */
  public void forgetAll() {
    cache.clear();
  }

  private static Caller toCaller(AuthenticateResponse response) {
    var role =
        switch (response.getRole()) {
          case ROLE_OWNER -> Role.OWNER;
          default -> Role.READER;
        };
    return new Caller(
        response.getOrganization(),
        response.getUser(),
        role,
        response.getApiKeyId(),
        false,
        response.getServiceAccount());
  }

  static String sha256(String value) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
