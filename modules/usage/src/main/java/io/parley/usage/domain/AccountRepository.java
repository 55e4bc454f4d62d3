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

  /** Creates an organization with its first owner (whose default it becomes if they had none). */
  Organization createOrganization(String name, String ownerUserId, long nowSeconds);

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

  /** Members of an organization. */
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

  /** Revokes a key of an organization; false when there is no such key. */
  boolean revokeApiKey(String organizationId, String keyId, long nowSeconds);

  /** Sets a key's last-used time when the stored one is older than {@code olderThanSeconds}. */
  void touchApiKey(String keyId, long nowSeconds, long olderThanSeconds);

  /** Limits of an organization ({@link Limits#NONE} when never set). */
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
