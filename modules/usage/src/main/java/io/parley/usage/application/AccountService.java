package io.parley.usage.application;

import io.parley.common.ids.Ids;
import io.parley.usage.domain.AccountRepository;
import io.parley.usage.domain.ApiKeyInfo;
import io.parley.usage.domain.InvalidApiKeyException;
import io.parley.usage.domain.InvalidUsageRequestException;
import io.parley.usage.domain.Limits;
import io.parley.usage.domain.Member;
import io.parley.usage.domain.MismatchedOrganizationException;
import io.parley.usage.domain.NotFoundException;
import io.parley.usage.domain.Organization;
import io.parley.usage.domain.OrganizationMembership;
import io.parley.usage.domain.Principal;
import io.parley.usage.domain.Role;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** Authentication, organizations, members, API keys, limits and the first-start bootstrap. */
public final class AccountService {

  private static final System.Logger LOG = System.getLogger(AccountService.class.getName());
  private static final long LAST_USED_RESOLUTION_S = 60;
  private static final long BOOTSTRAP_RETRY_MS = 5_000;

  private final AccountRepository accounts;
  private final Clock clock;
  private final Optional<Path> bootstrapKeyFile;
  private final String bootstrapOrganizationName;
  private final String bootstrapOwnerEmail;
  private final AtomicLong nextBootstrapCheck = new AtomicLong();
  private volatile boolean bootstrapKeyRegistered;

  public AccountService(
      AccountRepository accounts,
      Clock clock,
      Optional<Path> bootstrapKeyFile,
      String bootstrapOrganizationName,
      String bootstrapOwnerEmail) {
    this.accounts = accounts;
    this.clock = clock;
    this.bootstrapKeyFile = bootstrapKeyFile;
    this.bootstrapOrganizationName = bootstrapOrganizationName;
    this.bootstrapOwnerEmail = bootstrapOwnerEmail;
  }

  private long now() {
    return clock.millis() / 1000;
  }

  /**
   * Resolves a bearer key.
   *
   * @param secret the key as presented
   * @param organization organization asked for; empty = the key's own
   * @throws InvalidApiKeyException unknown, revoked or expired key, or a user no longer a member
   * @throws MismatchedOrganizationException when the user is not a member of {@code organization}
   */
  public Principal authenticate(String secret, String organization) {
    var info = findKey(secret);
    if (info.isEmpty() && registerBootstrapKeyIfDue()) {
      info = findKey(secret);
    }
    var key = info.orElseThrow(InvalidApiKeyException::new);
    long now = now();
    if (!key.usableAt(now)) {
      throw new InvalidApiKeyException();
    }
    var orgId = organization.isBlank() ? key.organizationId() : organization.strip();
    var role = accounts.roleOf(orgId, key.userId());
    if (role.isEmpty()) {
      if (orgId.equals(key.organizationId())) {
        throw new InvalidApiKeyException();
      }
      throw new MismatchedOrganizationException();
    }
    var org = accounts.organization(orgId).orElseThrow(MismatchedOrganizationException::new);
    if (now - key.lastUsedAt() >= LAST_USED_RESOLUTION_S) {
      accounts.touchApiKey(key.id(), now, LAST_USED_RESOLUTION_S);
    }
    return new Principal(
        org.id(), org.name(), key.userId(), role.get(), key.id(), key.organizationId());
  }

  private Optional<ApiKeyInfo> findKey(String secret) {
    if (!ApiKeySecrets.wellFormed(secret)) {
      return Optional.empty();
    }
    var hash = ApiKeySecrets.hash(secret);
    ApiKeyInfo found = null;
    for (var candidate : accounts.apiKeysByPrefix(ApiKeySecrets.lookupPrefix(secret))) {
      if (ApiKeySecrets.matches(candidate.secretHash(), hash)) {
        found = candidate.info();
      }
    }
    return Optional.ofNullable(found);
  }

  /**
   * On first start with an empty database: creates the first organization and owner, and registers
   * the bootstrap key file's key as that owner's key (now, or once the file appears).
   */
  public void bootstrap() {
    var owner = accounts.bootstrap(bootstrapOrganizationName, bootstrapOwnerEmail, now());
    if (owner.isPresent()) {
      LOG.log(
          System.Logger.Level.INFO,
          "Bootstrap organization {0}, owner {1}",
          owner.get().organizationId(),
          owner.get().userId());
    }
    registerBootstrapKey();
  }

  private boolean registerBootstrapKeyIfDue() {
    if (bootstrapKeyRegistered || bootstrapKeyFile.isEmpty()) {
      return false;
    }
    long nowMs = clock.millis();
    long due = nextBootstrapCheck.get();
    if (nowMs < due || !nextBootstrapCheck.compareAndSet(due, nowMs + BOOTSTRAP_RETRY_MS)) {
      return false;
    }
    return registerBootstrapKey();
  }

  /** Registers the key of the bootstrap file for the bootstrap owner; true when one was added. */
  boolean registerBootstrapKey() {
    if (bootstrapKeyFile.isEmpty()) {
      return false;
    }
    var file = bootstrapKeyFile.get();
    String secret;
    try {
      if (!Files.isRegularFile(file)) {
        return false;
      }
      secret = Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "Cannot read the bootstrap key file {0}", file);
      return false;
    }
    if (!ApiKeySecrets.wellFormed(secret)) {
      LOG.log(System.Logger.Level.WARNING, "The bootstrap key file {0} holds no sk- key", file);
      return false;
    }
    var owner = accounts.bootstrap(bootstrapOrganizationName, bootstrapOwnerEmail, now());
    if (owner.isEmpty()) {
      return false;
    }
    var hash = ApiKeySecrets.hash(secret);
    if (accounts.apiKeyHashExists(hash)) {
      bootstrapKeyRegistered = true;
      return false;
    }
    var info =
        new ApiKeyInfo(
            Ids.next("key-"),
            "Bootstrap admin key",
            ApiKeySecrets.redact(secret),
            owner.get().organizationId(),
            owner.get().userId(),
            now(),
            0,
            0,
            0);
    try {
      accounts.insertApiKey(info, hash, ApiKeySecrets.lookupPrefix(secret));
      LOG.log(System.Logger.Level.INFO, "Registered the bootstrap admin key as {0}", info.id());
    } catch (RuntimeException e) {
      if (!accounts.apiKeyHashExists(hash)) {
        throw e;
      }
    }
    bootstrapKeyRegistered = true;
    return true;
  }

  /** Creates an organization whose first owner is a user id or an e-mail address. */
  public CreatedOrganization createOrganization(String name, String ownerUser) {
    require(name, "name");
    require(ownerUser, "owner_user");
    var ownerId = accounts.resolveUser(ownerUser, now());
    var org = accounts.createOrganization(name.strip(), ownerId, now());
    return new CreatedOrganization(org, ownerId);
  }

  /**
   * A new organization and its owner.
   *
   * @param organization the organization
   * @param ownerUserId its owner
   */
  public record CreatedOrganization(Organization organization, String ownerUserId) {}

  /** A user's organizations. */
  public List<OrganizationMembership> organizationsOf(String userId) {
    require(userId, "user");
    return accounts.organizationsOf(userId);
  }

  /** Adds a member or changes their role; returns the user id. */
  public String putMember(String organizationId, String user, Role role) {
    organization(organizationId);
    require(user, "user");
    if (role == null) {
      throw new InvalidUsageRequestException("role must be reader or owner.", "role");
    }
    var userId = accounts.resolveUser(user, now());
    accounts.putMember(organizationId, userId, role, now());
    return userId;
  }

  /** Removes a member; false when they were none. */
  public boolean removeMember(String organizationId, String userId) {
    organization(organizationId);
    require(userId, "user");
    return accounts.removeMember(organizationId, userId);
  }

  /** Members of an organization. */
  public List<Member> members(String organizationId) {
    organization(organizationId);
    return accounts.members(organizationId);
  }

  /**
   * Creates a key for a member of an organization.
   *
   * @param expiresAt seconds since the epoch, 0 = never
   */
  public CreatedApiKey createApiKey(
      String organizationId, String userId, String name, long expiresAt) {
    organization(organizationId);
    require(userId, "user");
    if (expiresAt < 0) {
      throw new InvalidUsageRequestException("expires_at must not be negative.", "expires_at");
    }
    if (accounts.roleOf(organizationId, userId).isEmpty()) {
      throw new InvalidUsageRequestException(
          "The user is not a member of the organization.", "user");
    }
    var secret = ApiKeySecrets.generate();
    var info =
        new ApiKeyInfo(
            Ids.next("key-"),
            name == null ? "" : name.strip(),
            ApiKeySecrets.redact(secret),
            organizationId,
            userId,
            now(),
            0,
            expiresAt,
            0);
    accounts.insertApiKey(info, ApiKeySecrets.hash(secret), ApiKeySecrets.lookupPrefix(secret));
    return new CreatedApiKey(info, secret);
  }

  /**
   * A new key: its metadata and its secret, shown once.
   *
   * @param info metadata
   * @param secret the secret
   */
  public record CreatedApiKey(ApiKeyInfo info, String secret) {}

  /** Keys of an organization. */
  public List<ApiKeyInfo> apiKeys(String organizationId, String userId, boolean includeRevoked) {
    organization(organizationId);
    return accounts.apiKeys(
        organizationId,
        userId == null || userId.isBlank() ? Optional.empty() : Optional.of(userId),
        includeRevoked);
  }

  /** Revokes a key of an organization. */
  public void revokeApiKey(String organizationId, String keyId) {
    organization(organizationId);
    require(keyId, "api_key_id");
    if (!accounts.revokeApiKey(organizationId, keyId, now())) {
      throw NotFoundException.apiKey(keyId);
    }
  }

  /** Replaces an organization's limits. */
  public Limits setLimits(String organizationId, Limits limits) {
    organization(organizationId);
    if (limits.requestsPerMinute() < 0
        || limits.tokensPerMinute() < 0
        || limits.softLimitMicros() < 0
        || limits.hardLimitMicros() < 0) {
      throw new InvalidUsageRequestException("Limits must not be negative.", "limits");
    }
    var seen = new java.util.HashSet<String>();
    for (var m : limits.modelLimits()) {
      if (m.model() == null || m.model().isBlank() || !seen.add(m.model())) {
        throw new InvalidUsageRequestException(
            "Each model limit needs a distinct model id.", "limits.model_limits");
      }
      if (m.requestsPerMinute() < 0 || m.tokensPerMinute() < 0) {
        throw new InvalidUsageRequestException(
            "Limits must not be negative.", "limits.model_limits");
      }
    }
    accounts.setLimits(organizationId, limits, now());
    return accounts.limits(organizationId);
  }

  /** An organization's limits. */
  public Limits limits(String organizationId) {
    organization(organizationId);
    return accounts.limits(organizationId);
  }

  /** An existing organization. */
  public Organization organization(String organizationId) {
    require(organizationId, "organization");
    return accounts
        .organization(organizationId)
        .orElseThrow(() -> NotFoundException.organization(organizationId));
  }

  static void require(String value, String param) {
    if (value == null || value.isBlank()) {
      throw new InvalidUsageRequestException(param + " is required.", param);
    }
  }
}
