package io.parley.gateway.application;

import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.gateway.domain.Role;
import io.parley.gateway.infrastructure.UsageClient;
import io.parley.usage.v1.CreateApiKeyRequest;
import io.parley.usage.v1.CreateApiKeyResponse;
import io.parley.usage.v1.CreateOrganizationResponse;
import io.parley.usage.v1.Limits;
import io.parley.usage.v1.ListApiKeysRequest;
import io.parley.usage.v1.ListApiKeysResponse;
import io.parley.usage.v1.ListMembersResponse;
import io.parley.usage.v1.ListOrganizationsResponse;
import io.parley.usage.v1.PutMemberRequest;
import io.parley.usage.v1.PutMemberResponse;
import io.parley.usage.v1.QueryCostsRequest;
import io.parley.usage.v1.QueryCostsResponse;
import io.parley.usage.v1.QueryUsageRequest;
import io.parley.usage.v1.QueryUsageResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * Organizations, members, API keys, limits and usage reports, kept by the usage service. Every
 * action runs in the caller's organization and checks the caller's role first: readers read usage,
 * costs and limits; owners also manage members, keys and limits. Revoking a key or changing limits
 * here takes effect on this gateway at once (its caches are dropped) and on other replicas within
 * their cache times.
 */
@ApplicationScoped
public class OrganizationAdmin {

  private UsageClient usage;
  private Authentication authentication;
  private LimitsCatalog limits;

  /** For CDI proxies. */
  protected OrganizationAdmin() {}

  @Inject
  public OrganizationAdmin(UsageClient usage, Authentication authentication, LimitsCatalog limits) {
    this.usage = usage;
    this.authentication = authentication;
    this.limits = limits;
  }

  /**
   * Creates an organization. The bootstrap admin names its first owner; anyone else becomes the
   * owner of the organization they create.
   */
  public CreateOrganizationResponse createOrganization(
      Caller caller, String name, java.util.Optional<String> owner) {
    requireUsage();
    String first;
    if (caller.administrator()) {
      first =
          owner.orElseThrow(
              () ->
                  new InvalidRequestException(
                      "Missing required parameter: 'owner'.",
                      "owner",
                      "missing_required_parameter"));
    } else {
      first = caller.user();
    }
    return usage.createOrganization(name, first);
  }

  /** The organizations of the caller. */
  public ListOrganizationsResponse organizations(Caller caller) {
    requireUsage();
    return usage.listOrganizations(caller.user());
  }

  public ListMembersResponse members(Caller caller) {
    caller.require(Role.OWNER);
    requireUsage();
    return usage.listMembers(caller.organization());
  }

  public PutMemberResponse putMember(Caller caller, String user, Role role) {
    caller.require(Role.OWNER);
    requireUsage();
    return usage.putMember(
        PutMemberRequest.newBuilder()
            .setOrganization(caller.organization())
            .setUser(user)
            .setRole(
                role == Role.OWNER
                    ? io.parley.usage.v1.Role.ROLE_OWNER
                    : io.parley.usage.v1.Role.ROLE_READER)
            .build());
  }

  public boolean removeMember(Caller caller, String user) {
    caller.require(Role.OWNER);
    requireUsage();
    boolean removed = usage.removeMember(caller.organization(), user);
    authentication.forgetAll();
    return removed;
  }

  public ListApiKeysResponse apiKeys(Caller caller) {
    caller.require(Role.OWNER);
    requireUsage();
    return usage.listApiKeys(
        ListApiKeysRequest.newBuilder().setOrganization(caller.organization()).build());
  }

  /**
   * Creates a key in the caller's organization, for the caller or (owners) another member.
   *
   * @param user the member the key belongs to; empty for the caller
   */
  public CreateApiKeyResponse createApiKey(
      Caller caller, String name, java.util.Optional<String> user, long expiresAt) {
    caller.require(Role.OWNER);
    requireUsage();
    return usage.createApiKey(
        CreateApiKeyRequest.newBuilder()
            .setOrganization(caller.organization())
            .setUser(user.orElse(caller.user()))
            .setName(name)
            .setExpiresAt(expiresAt)
            .build());
  }

  public boolean revokeApiKey(Caller caller, String apiKeyId) {
    caller.require(Role.OWNER);
    requireUsage();
    boolean revoked = usage.revokeApiKey(caller.organization(), apiKeyId);
    authentication.forgetAll();
    return revoked;
  }

  public Limits limits(Caller caller) {
    caller.require(Role.READER);
    requireUsage();
    return usage.getLimits(caller.organization());
  }

  public Limits setLimits(Caller caller, Limits newLimits) {
    caller.require(Role.OWNER);
    requireUsage();
    var set = usage.setLimits(caller.organization(), newLimits);
    limits.forget(caller.organization());
    return set;
  }

  public QueryUsageResponse usage(Caller caller, QueryUsageRequest.Builder query) {
    caller.require(Role.READER);
    requireUsage();
    return usage.queryUsage(query.setOrganization(caller.organization()).build());
  }

  public QueryCostsResponse costs(Caller caller, QueryCostsRequest.Builder query) {
    caller.require(Role.READER);
    requireUsage();
    return usage.queryCosts(query.setOrganization(caller.organization()).build());
  }

  private void requireUsage() {
    if (usage == null || !usage.enabled()) {
      throw new GatewayException(
          501,
          GatewayException.INVALID_REQUEST,
          "usage_service_not_configured",
          null,
          "Organizations, API keys and usage reports need the usage service"
              + " (parley.usage.target is not set).");
    }
  }
}
