package io.parley.gateway.application;

import io.parley.gateway.domain.AuthenticationException;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.Role;
import io.parley.gateway.infrastructure.UsageClient;
import io.parley.usage.v1.AuthenticateResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;

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
 *       (never the key itself) and the organization asked for: <b>a revoked key keeps working for
 *       at most that long</b> on each gateway replica. Refusals are not kept.
 * </ul>
 */
@ApplicationScoped
public class Authentication {

  /** User id of the bootstrap admin key. */
  public static final String ADMIN_USER = "user-admin";

  /** Key id of the bootstrap admin key. */
  public static final String ADMIN_KEY_ID = "key-admin";

  private static final int MAX_ENTRIES = 100_000;

  private ApiKeyAuthenticator adminKey;
  private UsageClient usage;
  private String adminOrganization;
  private volatile String bootstrapOrganization;
  private long cacheNanos;
  private LongSupplier clock;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  private record Cached(Caller caller, long until) {}

  /** For CDI proxies. */
  protected Authentication() {}

  @Inject
  public Authentication(
      ApiKeyAuthenticator adminKey,
      UsageClient usage,
      @ConfigProperty(name = "parley.gateway.admin-organization") String adminOrganization,
      @ConfigProperty(name = "parley.gateway.auth-cache-ms") long cacheMillis) {
    this(adminKey, usage, adminOrganization, cacheMillis, System::nanoTime);
  }

  /**
   * @param adminKey checks the bootstrap admin key
   * @param usage the usage service, or {@code null} / not enabled for admin-key-only mode
   * @param adminOrganization the admin key's organization when the request names none
   * @param cacheMillis how long a positive answer of the usage service is reused (0: never)
   * @param clock nanosecond clock
   */
  public Authentication(
      ApiKeyAuthenticator adminKey,
      UsageClient usage,
      String adminOrganization,
      long cacheMillis,
      LongSupplier clock) {
    this.adminKey = adminKey;
    this.usage = usage;
    this.adminOrganization = adminOrganization;
    this.cacheNanos = cacheMillis * 1_000_000;
    this.clock = clock;
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
    var asked = organization.map(String::strip).filter(o -> !o.isEmpty());
    boolean usageMode = usage != null && usage.enabled();
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
    if (cached != null && now - cached.until < 0) {
      return cached.caller;
    }
    var caller = toCaller(usage.authenticate(key, asked.orElse("")));
    if (cacheNanos > 0) {
      if (cache.size() >= MAX_ENTRIES) {
        cache.values().removeIf(c -> now - c.until >= 0);
        if (cache.size() >= MAX_ENTRIES) {
          cache.clear();
        }
      }
      cache.put(cacheKey, new Cached(caller, now + cacheNanos));
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

  /** Forgets every cached answer (after a key was revoked through this gateway). */
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
        response.getOrganization(), response.getUser(), role, response.getApiKeyId(), false);
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
