package io.parley.usage.application;

import io.parley.common.ids.Ids;
import io.parley.usage.domain.AccountRepository;
import io.parley.usage.domain.ApiKeyInfo;
import io.parley.usage.domain.ForbiddenException;
import io.parley.usage.domain.Inputs;
import io.parley.usage.domain.InvalidApiKeyException;
import io.parley.usage.domain.InvalidUsageRequestException;
import io.parley.usage.domain.Invite;
import io.parley.usage.domain.Limits;
import io.parley.usage.domain.Member;
import io.parley.usage.domain.MismatchedOrganizationException;
import io.parley.usage.domain.ModerationPolicy;
import io.parley.usage.domain.NotFoundException;
import io.parley.usage.domain.Organization;
import io.parley.usage.domain.OrganizationMembership;
import io.parley.usage.domain.Principal;
import io.parley.usage.domain.Role;
import io.parley.usage.domain.ServiceAccount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Authentication, organizations, members, invitations, service accounts, API keys, limits,
 * moderation policies and the first-start bootstrap.
 *
 * <p>The rules no caller can bend: a person's key acts in the organizations that person belongs to;
 * a service account's key acts only in its one organization; keys are created only for person
 * members (service accounts get theirs when created); an invitation is accepted only by the person
 * whose e-mail address it names; a service account never joins a second organization.
 */
public final class AccountService {

  private static final System.Logger LOG = System.getLogger(AccountService.class.getName());
  private static final long LAST_USED_RESOLUTION_S = 60;
  private static final long BOOTSTRAP_RETRY_MS = 5_000;

  private final AccountRepository accounts;
  private final Clock clock;
  private final Optional<Path> bootstrapKeyFile;
  private final String bootstrapOrganizationName;
  private final String bootstrapOwnerEmail;
  private final ModerationPolicy defaultPolicy;
  private final Duration inviteTtl;
  private final AtomicLong nextBootstrapCheck = new AtomicLong();
  private volatile boolean bootstrapKeyRegistered;

  public AccountService(
      AccountRepository accounts,
      Clock clock,
      Optional<Path> bootstrapKeyFile,
      String bootstrapOrganizationName,
      String bootstrapOwnerEmail,
      ModerationPolicy defaultPolicy,
      Duration inviteTtl) {
    this.accounts = accounts;
    this.defaultPolicy = defaultPolicy;
    this.inviteTtl = inviteTtl;
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
    if (orgId.length() > Inputs.MAX_ID) {
      throw new MismatchedOrganizationException();
    }
    if (key.serviceAccount() && !orgId.equals(key.organizationId())) {
      throw new MismatchedOrganizationException();
    }
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
        org.id(),
        org.name(),
        key.userId(),
        role.get(),
        key.id(),
        key.organizationId(),
        key.expiresAt(),
        key.serviceAccount());
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

  /**
   * Creates an organization whose first owner is a user id or an e-mail address.
   *
   * @param createdBy the person creating it ({@code user-…}); empty = the platform administrator
   * @param maxPerCreator most organizations one person may create; 0 = no cap
   */
  public CreatedOrganization createOrganization(
      String name, String ownerUser, String createdBy, int maxPerCreator) {
    var orgName = Inputs.requiredName(name, "name");
    var ownerId = resolvePerson(ownerUser, "owner_user");
    Optional<String> creator =
        createdBy == null || createdBy.isBlank()
            ? Optional.empty()
            : Optional.of(Inputs.id(createdBy, "created_by"));
    if (creator.isPresent()) {
      requirePerson(creator.get(), "created_by");
    }
    var org =
        accounts.createOrganization(orgName, ownerId, creator, Math.max(0, maxPerCreator), now());
    return new CreatedOrganization(org, ownerId);
  }

  /** Creates an organization for the platform administrator (no creator, no cap). */
  public CreatedOrganization createOrganization(String name, String ownerUser) {
    return createOrganization(name, ownerUser, "", 0);
  }

  /** A person's id from an id or an e-mail address (a new person for an unknown address). */
  private String resolvePerson(String user, String param) {
    String userId;
    if (Inputs.isEmail(user)) {
      userId = accounts.resolveUser(Inputs.email(user, param), now());
    } else {
      var id = Inputs.id(user, param);
      if (!id.startsWith("user-")) {
        throw new InvalidUsageRequestException(
            "'" + param + "' must be a person's user id or e-mail address.", param);
      }
      userId = accounts.resolveUser(id, now());
    }
    requirePerson(userId, param);
    return userId;
  }

  private void requirePerson(String userId, String param) {
    var person = accounts.person(userId).orElseThrow(() -> NotFoundException.user(userId));
    if (person.serviceAccount()) {
      throw ForbiddenException.notAPerson(param);
    }
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
    return accounts.organizationsOf(Inputs.id(userId, "user"));
  }

  /**
   * Adds a person as a member directly (the platform administrator's way), or changes the role of
   * one; returns the user id. Service accounts cannot be added.
   */
  public String putMember(String organizationId, String user, Role role) {
    organization(organizationId);
    if (role == null) {
      throw new InvalidUsageRequestException("role must be reader or owner.", "role");
    }
    var userId = resolvePerson(user, "user");
    accounts.putMember(organizationId, userId, role, now());
    return userId;
  }

  /** Changes the role of an existing member (person or service account). */
  public Member updateMemberRole(String organizationId, String userId, Role role) {
    organization(organizationId);
    var id = Inputs.id(userId, "user");
    if (role == null) {
      throw new InvalidUsageRequestException("role must be reader or owner.", "role");
    }
    if (!accounts.updateMemberRole(organizationId, id, role)) {
      throw NotFoundException.user(id);
    }
    var person = accounts.person(id).orElseThrow(() -> NotFoundException.user(id));
    return new Member(id, person.email(), role, now());
  }

  /** Removes a member; false when they were none. */
  public boolean removeMember(String organizationId, String userId) {
    organization(organizationId);
    return accounts.removeMember(organizationId, Inputs.id(userId, "user"));
  }

  /** Members of an organization. */
  public List<Member> members(String organizationId) {
    organization(organizationId);
    return accounts.members(organizationId);
  }

  /**
   * Creates a person's own key, defaulting to an organization they belong to.
   *
   * @param expiresAt seconds since the epoch, 0 = never
   */
  public CreatedApiKey createApiKey(
      String organizationId, String userId, String name, long expiresAt) {
    organization(organizationId);
    var id = Inputs.id(userId, "user");
    var keyName = Inputs.name(name, "name");
    if (expiresAt < 0) {
      throw new InvalidUsageRequestException("expires_at must not be negative.", "expires_at");
    }
    if (expiresAt != 0 && expiresAt <= now()) {
      throw new InvalidUsageRequestException("expires_at must be in the future.", "expires_at");
    }
    if (ServiceAccount.isServiceAccount(id)) {
      throw ForbiddenException.notAPerson("user");
    }
    if (accounts.roleOf(organizationId, id).isEmpty()) {
      throw new InvalidUsageRequestException(
          "The user is not a member of the organization.", "user");
    }
    return insertKey(organizationId, id, keyName, expiresAt);
  }

  private CreatedApiKey insertKey(
      String organizationId, String userId, String name, long expiresAt) {
    var secret = ApiKeySecrets.generate();
    var info =
        new ApiKeyInfo(
            Ids.next("key-"),
            name,
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
        userId == null || userId.isBlank()
            ? Optional.empty()
            : Optional.of(Inputs.id(userId, "user")),
        includeRevoked);
  }

  /**
   * Revokes a key of an organization.
   *
   * @param userId only a key of this user; empty = any key of the organization
   */
  public void revokeApiKey(String organizationId, String keyId, String userId) {
    organization(organizationId);
    var id = Inputs.id(keyId, "api_key_id");
    Optional<String> user =
        userId == null || userId.isBlank()
            ? Optional.empty()
            : Optional.of(Inputs.id(userId, "user"));
    if (!accounts.revokeApiKey(organizationId, id, user, now())) {
      throw NotFoundException.apiKey(id);
    }
  }

  /** Revokes any key of an organization. */
  public void revokeApiKey(String organizationId, String keyId) {
    revokeApiKey(organizationId, keyId, "");
  }

  /**
   * Invites a person by e-mail address.
   *
   * @param invitedBy who invites ({@code user-…}); empty = the platform administrator
   * @param ttlSeconds lifetime; 0 = the configured default
   */
  public Invite createInvite(
      String organizationId, String email, Role role, String invitedBy, long ttlSeconds) {
    organization(organizationId);
    var address = Inputs.email(email, "email");
    if (role == null) {
      throw new InvalidUsageRequestException("role must be reader or owner.", "role");
    }
    var by = invitedBy == null || invitedBy.isBlank() ? "" : Inputs.id(invitedBy, "invited_by");
    if (ttlSeconds < 0 || ttlSeconds > Duration.ofDays(365).toSeconds()) {
      throw new InvalidUsageRequestException(
          "ttl_seconds must be between 0 and one year.", "ttl_seconds");
    }
    long now = now();
    var invite =
        new Invite(
            Ids.next(Invite.ID_PREFIX),
            organizationId,
            address,
            role,
            by,
            now,
            now + (ttlSeconds == 0 ? inviteTtl.toSeconds() : ttlSeconds),
            0);
    accounts.insertInvite(invite);
    return invite;
  }

  /** An organization's invitations, newest first. */
  public List<Invite> invites(String organizationId) {
    organization(organizationId);
    return accounts.invites(organizationId);
  }

  /** One invitation of an organization. */
  public Invite invite(String organizationId, String inviteId) {
    organization(organizationId);
    var id = Inputs.id(inviteId, "invite_id");
    return accounts
        .invite(id)
        .filter(i -> i.organizationId().equals(organizationId))
        .orElseThrow(() -> NotFoundException.invite(id));
  }

  /** Deletes a pending invitation of an organization. */
  public void deleteInvite(String organizationId, String inviteId) {
    organization(organizationId);
    var id = Inputs.id(inviteId, "invite_id");
    if (!accounts.deleteInvite(organizationId, id)) {
      throw NotFoundException.invite(id);
    }
  }

  /**
   * Accepts an invitation as the person it names.
   *
   * @param userId the accepting person, authenticated by the caller
   * @throws ForbiddenException when the invitation is for another e-mail address
   */
  public Invite acceptInvite(String inviteId, String userId) {
    var id = Inputs.id(inviteId, "invite_id");
    var user = Inputs.id(userId, "user");
    var person = accounts.person(user).orElseThrow(() -> NotFoundException.user(user));
    if (person.serviceAccount()) {
      throw ForbiddenException.notAPerson("user");
    }
    var invite = accounts.invite(id).orElseThrow(() -> NotFoundException.invite(id));
    if (!invite.email().equalsIgnoreCase(person.email())) {
      // Another person's invitation: told apart from a missing one only by its owner.
      throw ForbiddenException.inviteEmailMismatch();
    }
    return accounts.acceptInvite(id, user, now());
  }

  /**
   * Creates a service account with its first key, bound to the organization.
   *
   * @return the account and its key
   */
  public CreatedServiceAccount createServiceAccount(String organizationId, String name, Role role) {
    organization(organizationId);
    var accountName = Inputs.requiredName(name, "name");
    if (role == null) {
      throw new InvalidUsageRequestException("role must be reader or owner.", "role");
    }
    var account =
        new ServiceAccount(
            Ids.next(ServiceAccount.ID_PREFIX), organizationId, accountName, role, now());
    accounts.insertServiceAccount(account);
    return new CreatedServiceAccount(account, insertKey(organizationId, account.id(), "", 0));
  }

  /**
   * A new service account and its key.
   *
   * @param account the account
   * @param key its key (the secret shown once)
   */
  public record CreatedServiceAccount(ServiceAccount account, CreatedApiKey key) {}

  /** An organization's service accounts. */
  public List<ServiceAccount> serviceAccounts(String organizationId) {
    organization(organizationId);
    return accounts.serviceAccounts(organizationId);
  }

  /** Deletes a service account of an organization and revokes its keys. */
  public void deleteServiceAccount(String organizationId, String serviceAccountId) {
    organization(organizationId);
    var id = Inputs.id(serviceAccountId, "service_account_id");
    if (!accounts.deleteServiceAccount(organizationId, id, now())) {
      throw NotFoundException.serviceAccount(id);
    }
  }

  /** An organization's moderation policy (the configured default until one is set). */
  public ModerationPolicy moderationPolicy(String organizationId) {
    organization(organizationId);
    return accounts.moderationPolicy(organizationId).orElse(defaultPolicy);
  }

  /** Sets an organization's moderation policy. */
  public ModerationPolicy setModerationPolicy(String organizationId, ModerationPolicy policy) {
    organization(organizationId);
    accounts.setModerationPolicy(organizationId, policy, now());
    return policy;
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
    if (limits.modelLimits().size() > Inputs.MAX_MODEL_LIMITS) {
      throw new InvalidUsageRequestException(
          "At most " + Inputs.MAX_MODEL_LIMITS + " model limits.", "limits.model_limits");
    }
    var seen = new java.util.HashSet<String>();
    for (var m : limits.modelLimits()) {
      if (m.model() == null
          || m.model().isBlank()
          || m.model().length() > Inputs.MAX_MODEL
          || !seen.add(m.model())) {
        throw new InvalidUsageRequestException(
            "Each model limit needs a distinct model id of at most "
                + Inputs.MAX_MODEL
                + " characters.",
            "limits.model_limits");
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
    var id = Inputs.id(organizationId, "organization");
    return accounts.organization(id).orElseThrow(() -> NotFoundException.organization(id));
  }

  static void require(String value, String param) {
    if (value == null || value.isBlank()) {
      throw new InvalidUsageRequestException(param + " is required.", param);
    }
  }
}
