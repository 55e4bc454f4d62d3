package io.parley.gateway.application;

import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.gateway.domain.PermissionDeniedException;
import io.parley.gateway.domain.Role;
import io.parley.usage.v1.CreateApiKeyRequest;
import io.parley.usage.v1.CreateApiKeyResponse;
import io.parley.usage.v1.CreateInviteRequest;
import io.parley.usage.v1.CreateOrganizationResponse;
import io.parley.usage.v1.CreateServiceAccountRequest;
import io.parley.usage.v1.CreateServiceAccountResponse;
import io.parley.usage.v1.Invite;
import io.parley.usage.v1.Limits;
import io.parley.usage.v1.ListApiKeysRequest;
import io.parley.usage.v1.ListApiKeysResponse;
import io.parley.usage.v1.ListInvitesResponse;
import io.parley.usage.v1.ListMembersResponse;
import io.parley.usage.v1.ListOrganizationsResponse;
import io.parley.usage.v1.ListServiceAccountsResponse;
import io.parley.usage.v1.Member;
import io.parley.usage.v1.PutMemberRequest;
import io.parley.usage.v1.PutMemberResponse;
import io.parley.usage.v1.QueryCostsRequest;
import io.parley.usage.v1.QueryCostsResponse;
import io.parley.usage.v1.QueryUsageRequest;
import io.parley.usage.v1.QueryUsageResponse;
import io.parley.usage.v1.UpdateMemberRoleRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Organizations, members, invitations, service accounts, API keys, limits and usage reports, kept
 * by the usage service. Every action runs in the caller's organization and checks who may do it
 * before anything is called:
 *
 * <ul>
 *   <li>the platform administrator (the bootstrap admin key) may do everything, and alone may add a
 *       member directly (without an invitation), issue a person's first key, and create
 *       organizations unless self-service is on ({@code parley.gateway.organizations.self-service},
 *       then at most {@code .max-per-person} per person);
 *   <li>owners manage members (role changes, removal), invitations, service accounts, every key of
 *       the organization, and limits;
 *   <li>every person creates keys for themselves only, lists and revokes their own keys, reads
 *       limits, usage and costs, and accepts invitations addressed to them;
 *   <li>service accounts act with the role they were given, in their one organization, and never
 *       create keys, organizations or accept invitations.
 * </ul>
 *
 * Changes of access take effect at once on this gateway and, through {@link AccessChanges}, on the
 * other replicas.
 */
@ApplicationScoped
public class OrganizationAdmin {

  private UsageBackend usage;
  private AccessChanges changes;
  private boolean selfService;
  private int maxPerPerson;

  /** For CDI proxies. */
  protected OrganizationAdmin() {}

  @Inject
  public OrganizationAdmin(
      UsageBackend usage,
      AccessChanges changes,
      @ConfigProperty(name = "parley.gateway.organizations.self-service") boolean selfService,
      @ConfigProperty(name = "parley.gateway.organizations.max-per-person") int maxPerPerson) {
    this.usage = usage;
    this.changes = changes;
    this.selfService = selfService;
    this.maxPerPerson = maxPerPerson;
  }

  /**
   * Creates an organization. The platform administrator names its first owner; with self-service
   * on, a person becomes the owner of the organization they create, up to the cap.
   */
  public CreateOrganizationResponse createOrganization(
      Caller caller, String name, Optional<String> owner) {
    requireUsage();
    if (caller.administrator()) {
      var first =
          owner.orElseThrow(
              () ->
                  new InvalidRequestException(
                      "Missing required parameter: 'owner'.",
                      "owner",
                      "missing_required_parameter"));
      return usage.createOrganization(name, first, "", 0);
    }
    caller.requirePerson("create organizations");
    if (!selfService) {
      throw new PermissionDeniedException(
          "Only the platform administrator can create organizations.");
    }
    if (owner.isPresent() && !owner.get().equals(caller.user())) {
      throw new PermissionDeniedException(
          "You can only create organizations that you own ('owner' must be left out).");
    }
    return usage.createOrganization(name, caller.user(), caller.user(), Math.max(1, maxPerPerson));
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

  /** Adds a person directly, without an invitation: the platform administrator's hand only. */
  public PutMemberResponse addMember(Caller caller, String user, Role role) {
    caller.requireAdministrator("add members directly (invite them instead)");
    requireUsage();
    var added =
        usage.putMember(
            PutMemberRequest.newBuilder()
                .setOrganization(caller.organization())
                .setUser(user)
                .setRole(toProto(role))
                .build());
    changes.accessChanged();
    return added;
  }

  /** Changes the role of an existing member. */
  public Member updateMemberRole(Caller caller, String user, Role role) {
    caller.require(Role.OWNER);
    requireUsage();
    try {
      return usage
          .updateMemberRole(
              UpdateMemberRoleRequest.newBuilder()
                  .setOrganization(caller.organization())
                  .setUser(user)
                  .setRole(toProto(role))
                  .build())
          .getMember();
    } finally {
      changes.accessChanged();
    }
  }

  public boolean removeMember(Caller caller, String user) {
    caller.require(Role.OWNER);
    requireUsage();
    try {
      return usage.removeMember(caller.organization(), user);
    } finally {
      changes.accessChanged();
    }
  }

  /** Owners see every key of the organization; anyone else their own. */
  public ListApiKeysResponse apiKeys(Caller caller) {
    requireUsage();
    var request = ListApiKeysRequest.newBuilder().setOrganization(caller.organization());
    if (!caller.administrator() && caller.role() != Role.OWNER) {
      request.setUser(caller.user());
    }
    return usage.listApiKeys(request.build());
  }

  /**
   * Creates a person's own key, defaulting to the caller's organization. Only the platform
   * administrator names another person ({@code user}: their first key); nobody else can mint a key
   * that acts as someone else.
   *
   * @param user the person the key belongs to; empty for the caller
   */
  public CreateApiKeyResponse createApiKey(
      Caller caller, String name, Optional<String> user, long expiresAt) {
    requireUsage();
    caller.requirePerson("create API keys (its key was issued with it)");
    var owner = user.orElse(caller.user());
    if (!owner.equals(caller.user())) {
      caller.requireAdministrator("create a key for another person");
    }
    return usage.createApiKey(
        CreateApiKeyRequest.newBuilder()
            .setOrganization(caller.organization())
            .setUser(owner)
            .setName(name)
            .setExpiresAt(expiresAt)
            .build());
  }

  /** Owners revoke any key of the organization; anyone else their own. */
  public boolean revokeApiKey(Caller caller, String apiKeyId) {
    requireUsage();
    var onlyOf = caller.administrator() || caller.role() == Role.OWNER ? "" : caller.user();
    try {
      return usage.revokeApiKey(caller.organization(), apiKeyId, onlyOf);
    } finally {
      changes.accessChanged();
    }
  }

  /** Invites a person by e-mail address (owners). */
  public Invite createInvite(Caller caller, String email, Role role) {
    caller.require(Role.OWNER);
    requireUsage();
    return usage.createInvite(
        CreateInviteRequest.newBuilder()
            .setOrganization(caller.organization())
            .setEmail(email)
            .setRole(toProto(role))
            .setInvitedBy(caller.administrator() ? "" : caller.user())
            .build());
  }

  public ListInvitesResponse invites(Caller caller) {
    caller.require(Role.OWNER);
    requireUsage();
    return usage.listInvites(caller.organization());
  }

  public Invite invite(Caller caller, String id) {
    caller.require(Role.OWNER);
    requireUsage();
    return usage.getInvite(caller.organization(), id);
  }

  public void deleteInvite(Caller caller, String id) {
    caller.require(Role.OWNER);
    requireUsage();
    usage.deleteInvite(caller.organization(), id);
  }

  /**
   * Accepts an invitation as the caller: a person whose own key's user has the invited e-mail
   * address, whatever organization the request runs in.
   */
  public Invite acceptInvite(Caller caller, String id) {
    requireUsage();
    caller.requirePerson("accept invitations");
    if (caller.administrator()) {
      throw new PermissionDeniedException(
          "The platform administrator adds members directly; invitations are accepted by the"
              + " invited person.");
    }
    var accepted = usage.acceptInvite(id, caller.user());
    changes.accessChanged();
    return accepted;
  }

  public CreateServiceAccountResponse createServiceAccount(Caller caller, String name, Role role) {
    caller.require(Role.OWNER);
    requireUsage();
    return usage.createServiceAccount(
        CreateServiceAccountRequest.newBuilder()
            .setOrganization(caller.organization())
            .setName(name)
            .setRole(toProto(role))
            .build());
  }

  public ListServiceAccountsResponse serviceAccounts(Caller caller) {
    caller.require(Role.OWNER);
    requireUsage();
    return usage.listServiceAccounts(caller.organization());
  }

  public void deleteServiceAccount(Caller caller, String id) {
    caller.require(Role.OWNER);
    requireUsage();
    try {
      usage.deleteServiceAccount(caller.organization(), id);
    } finally {
      changes.accessChanged();
    }
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
    changes.limitsChanged(caller.organization());
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

  private static io.parley.usage.v1.Role toProto(Role role) {
    return role == Role.OWNER
        ? io.parley.usage.v1.Role.ROLE_OWNER
        : io.parley.usage.v1.Role.ROLE_READER;
  }

  private void requireUsage() {
    if (!usage.enabled()) {
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
