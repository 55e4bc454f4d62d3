package io.parley.gateway.application;

import io.parley.usage.v1.AuthenticateResponse;
import io.parley.usage.v1.CreateApiKeyRequest;
import io.parley.usage.v1.CreateApiKeyResponse;
import io.parley.usage.v1.CreateInviteRequest;
import io.parley.usage.v1.CreateOrganizationResponse;
import io.parley.usage.v1.CreateServiceAccountRequest;
import io.parley.usage.v1.CreateServiceAccountResponse;
import io.parley.usage.v1.GetPricesResponse;
import io.parley.usage.v1.Invite;
import io.parley.usage.v1.LeaseBudgetResponse;
import io.parley.usage.v1.Limits;
import io.parley.usage.v1.ListApiKeysRequest;
import io.parley.usage.v1.ListApiKeysResponse;
import io.parley.usage.v1.ListInvitesResponse;
import io.parley.usage.v1.ListMembersResponse;
import io.parley.usage.v1.ListOrganizationsResponse;
import io.parley.usage.v1.ListServiceAccountsResponse;
import io.parley.usage.v1.ModerationPolicy;
import io.parley.usage.v1.PutMemberRequest;
import io.parley.usage.v1.PutMemberResponse;
import io.parley.usage.v1.QueryCostsRequest;
import io.parley.usage.v1.QueryCostsResponse;
import io.parley.usage.v1.QueryUsageRequest;
import io.parley.usage.v1.QueryUsageResponse;
import io.parley.usage.v1.UpdateMemberRoleRequest;
import io.parley.usage.v1.UpdateMemberRoleResponse;

/**
 * The usage service as the gateway's use cases see it (implemented by the gRPC client): keys,
 * organizations, limits, budgets and moderation policies. Every call fails with a {@link
 * io.parley.gateway.domain.GatewayException}. When {@link #enabled()} is false the gateway runs on
 * its bootstrap admin key alone and no other method is called.
 */
public interface UsageBackend {

  /** Whether a usage service is configured. */
  boolean enabled();

  /**
   * Resolves a bearer key.
   *
   * @param organization the organization asked for; empty for the key's default
   * @throws io.parley.gateway.domain.AuthenticationException for an unknown, revoked or expired
   *     key, or an organization the key cannot be used in
   */
  AuthenticateResponse authenticate(String apiKey, String organization);

  /** An organization's limits. */
  Limits getLimits(String organization);

  /** Replaces an organization's limits. */
  Limits setLimits(String organization, Limits limits);

  /** Takes a lease on a share of an organization's hard-limit budget; idempotent by lease id. */
  LeaseBudgetResponse leaseBudget(
      String organization, String leaseId, String holder, long requestedMicros);

  /** Ends a lease; what it still holds goes back to the organization's budget. */
  long returnLease(String organization, String leaseId);

  /** The price table the ledger charges with. */
  GetPricesResponse prices();

  /**
   * Creates an organization with its first owner.
   *
   * @param createdBy the person creating it; empty for the platform administrator
   * @param maxPerCreator most organizations one person may create; 0 = no cap
   */
  CreateOrganizationResponse createOrganization(
      String name, String ownerUser, String createdBy, int maxPerCreator);

  /** Changes an existing member's role. */
  UpdateMemberRoleResponse updateMemberRole(UpdateMemberRoleRequest request);

  /** Invites a person by e-mail address. */
  Invite createInvite(CreateInviteRequest request);

  /** An organization's invitations. */
  ListInvitesResponse listInvites(String organization);

  /** One invitation of an organization. */
  Invite getInvite(String organization, String invite);

  /** Deletes a pending invitation. */
  void deleteInvite(String organization, String invite);

  /** Accepts an invitation as the person it names. */
  Invite acceptInvite(String invite, String user);

  /** Creates a service account with its key. */
  CreateServiceAccountResponse createServiceAccount(CreateServiceAccountRequest request);

  /** An organization's service accounts. */
  ListServiceAccountsResponse listServiceAccounts(String organization);

  /** Deletes a service account and revokes its keys. */
  void deleteServiceAccount(String organization, String serviceAccount);

  /** An organization's moderation policy. */
  ModerationPolicy moderationPolicy(String organization);

  /** Sets an organization's moderation policy. */
  ModerationPolicy setModerationPolicy(String organization, ModerationPolicy policy);

  /** The organizations of a user. */
  ListOrganizationsResponse listOrganizations(String user);

  /** Adds a member or changes their role. */
  PutMemberResponse putMember(PutMemberRequest request);

  /** Removes a member; whether there was one. */
  boolean removeMember(String organization, String user);

  /** The members of an organization. */
  ListMembersResponse listMembers(String organization);

  /** Creates an API key; the response holds the secret, once. */
  CreateApiKeyResponse createApiKey(CreateApiKeyRequest request);

  /** The keys of an organization (metadata only). */
  ListApiKeysResponse listApiKeys(ListApiKeysRequest request);

  /**
   * Revokes a key.
   *
   * @param user only a key of this user; empty = any key of the organization
   */
  boolean revokeApiKey(String organization, String apiKeyId, String user);

  /** Token usage in time buckets. */
  QueryUsageResponse queryUsage(QueryUsageRequest request);

  /** Costs in time buckets. */
  QueryCostsResponse queryCosts(QueryCostsRequest request);
}
