package io.parley.usage.domain;

import java.util.List;
import java.util.Optional;

/** Organizations, users, memberships, API keys and limits. */
public interface AccountRepository {

  /** Whether there is no organization at all (a new database). */
  boolean noOrganizations();

  /** An organization by id. */
  Optional<Organization> organization(String id);

  /** A user's id by id ({@code user-…}) or e-mail address; created for an unknown address. */
  String resolveUser(String idOrEmail, long nowSeconds);

  /**
   * Creates an organization with its first owner (whose default it becomes if they had none) and
   * the default limits.
   *
   * @param createdBy the person creating it; empty = the platform administrator
   * @param maxPerCreator most organizations {@code createdBy} may have created; 0 = no cap
   * @throws ConflictException when {@code createdBy} reached the cap
   */
  Organization createOrganization(
      String name,
      String ownerUserId,
      Optional<String> createdBy,
      int maxPerCreator,
      long nowSeconds);

  /** A user (person or service account) by id. */
  Optional<Person> person(String userId);

  /**
   * Changes the role of an existing member.
   *
   * @return false when the user is not a member
   * @throws ConflictException when the last owner would be demoted
   */
  boolean updateMemberRole(String organizationId, String userId, Role role);

  /** Stores a new invitation. */
  void insertInvite(Invite invite);

  /** An organization's invitations, newest first. */
  List<Invite> invites(String organizationId);

  /** An invitation by id. */
  Optional<Invite> invite(String id);

  /**
   * Deletes a pending invitation of an organization.
   *
   * @return false when there is none
   * @throws ConflictException when it was accepted
   */
  boolean deleteInvite(String organizationId, String id);

  /**
   * Accepts a pending invitation: the user becomes a member with its role (an existing member keeps
   * theirs) in the same transaction that marks it accepted.
   *
   * @throws NotFoundException when there is no such invitation
   * @throws ConflictException when it is no longer pending
   */
  Invite acceptInvite(String id, String userId, long nowSeconds);

  /** Creates a service account, member of its organization. */
  void insertServiceAccount(ServiceAccount account);

  /** An organization's service accounts, by name. */
  List<ServiceAccount> serviceAccounts(String organizationId);

  /**
   * Deletes a service account of an organization: its membership goes and its keys are revoked.
   *
   * @return false when there is none
   * @throws ConflictException when it is the last owner
   */
  boolean deleteServiceAccount(String organizationId, String id, long nowSeconds);

  /** An organization's moderation policy, if one was set. */
  Optional<ModerationPolicy> moderationPolicy(String organizationId);

  /** Sets an organization's moderation policy. */
  void setModerationPolicy(String organizationId, ModerationPolicy policy, long nowSeconds);

  /** A user's organizations. */
  List<OrganizationMembership> organizationsOf(String userId);

  /**
   * Adds a member or changes their role.
   *
   * @throws ConflictException when the last owner would be demoted
   */
  void putMember(String organizationId, String userId, Role role, long nowSeconds);

  /**
   * Removes a member.
   *
   * @throws ConflictException when it is the last owner
   */
  boolean removeMember(String organizationId, String userId);

  /** Members of an organization that are people (service accounts are listed apart). */
  List<Member> members(String organizationId);

  /** A user's role in an organization. */
  Optional<Role> roleOf(String organizationId, String userId);

  /** Stores a new key. */
  void insertApiKey(ApiKeyInfo info, byte[] secretHash, String lookupPrefix);

  /** Keys whose secret starts with a lookup prefix. */
  List<StoredApiKey> apiKeysByPrefix(String lookupPrefix);

  /** Whether a key with this secret hash exists. */
  boolean apiKeyHashExists(byte[] secretHash);

  /** A key by id. */
  Optional<ApiKeyInfo> apiKey(String id);

  /** Keys of an organization, newest first. */
  List<ApiKeyInfo> apiKeys(String organizationId, Optional<String> userId, boolean includeRevoked);

  /**
   * Revokes a key of an organization; false when there is no such key.
   *
   * @param userId only a key of this user; empty = any key of the organization
   */
  boolean revokeApiKey(
      String organizationId, String keyId, Optional<String> userId, long nowSeconds);

  /** Sets a key's last-used time when the stored one is older than {@code olderThanSeconds}. */
  void touchApiKey(String keyId, long nowSeconds, long olderThanSeconds);

  /** Limits of an organization (the default tier when never set). */
  Limits limits(String organizationId);

  /** Replaces an organization's limits. */
  void setLimits(String organizationId, Limits limits, long nowSeconds);

  /**
   * Claims the one-time bootstrap: creates the first organization and owner unless another replica
   * did. Returns the bootstrap owner and organization, whoever created them; empty when the
   * database held organizations before any bootstrap.
   */
  Optional<BootstrapOwner> bootstrap(String organizationName, String ownerEmail, long nowSeconds);

  /**
   * The first owner and organization.
   *
   * @param organizationId organization
   * @param userId owner
   */
  record BootstrapOwner(String organizationId, String userId) {}
}
