package io.parley.gateway.infrastructure;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.GrpcErrors;
import io.parley.gateway.application.UsageBackend;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.ServiceUnavailableException;
import io.parley.usage.v1.AcceptInviteRequest;
import io.parley.usage.v1.AuthenticateRequest;
import io.parley.usage.v1.AuthenticateResponse;
import io.parley.usage.v1.CreateApiKeyRequest;
import io.parley.usage.v1.CreateApiKeyResponse;
import io.parley.usage.v1.CreateInviteRequest;
import io.parley.usage.v1.CreateOrganizationRequest;
import io.parley.usage.v1.CreateOrganizationResponse;
import io.parley.usage.v1.CreateServiceAccountRequest;
import io.parley.usage.v1.CreateServiceAccountResponse;
import io.parley.usage.v1.DeleteInviteRequest;
import io.parley.usage.v1.DeleteServiceAccountRequest;
import io.parley.usage.v1.GetInviteRequest;
import io.parley.usage.v1.GetLimitsRequest;
import io.parley.usage.v1.GetModerationPolicyRequest;
import io.parley.usage.v1.GetPricesRequest;
import io.parley.usage.v1.GetPricesResponse;
import io.parley.usage.v1.Invite;
import io.parley.usage.v1.LeaseBudgetRequest;
import io.parley.usage.v1.LeaseBudgetResponse;
import io.parley.usage.v1.Limits;
import io.parley.usage.v1.ListApiKeysRequest;
import io.parley.usage.v1.ListApiKeysResponse;
import io.parley.usage.v1.ListInvitesRequest;
import io.parley.usage.v1.ListInvitesResponse;
import io.parley.usage.v1.ListMembersRequest;
import io.parley.usage.v1.ListMembersResponse;
import io.parley.usage.v1.ListOrganizationsRequest;
import io.parley.usage.v1.ListOrganizationsResponse;
import io.parley.usage.v1.ListServiceAccountsRequest;
import io.parley.usage.v1.ListServiceAccountsResponse;
import io.parley.usage.v1.ModerationPolicy;
import io.parley.usage.v1.PutMemberRequest;
import io.parley.usage.v1.PutMemberResponse;
import io.parley.usage.v1.QueryCostsRequest;
import io.parley.usage.v1.QueryCostsResponse;
import io.parley.usage.v1.QueryUsageRequest;
import io.parley.usage.v1.QueryUsageResponse;
import io.parley.usage.v1.RecordUsageRequest;
import io.parley.usage.v1.RecordUsageResponse;
import io.parley.usage.v1.RemoveMemberRequest;
import io.parley.usage.v1.ReturnLeaseRequest;
import io.parley.usage.v1.RevokeApiKeyRequest;
import io.parley.usage.v1.SetLimitsRequest;
import io.parley.usage.v1.SetModerationPolicyRequest;
import io.parley.usage.v1.UpdateMemberRoleRequest;
import io.parley.usage.v1.UpdateMemberRoleResponse;
import io.parley.usage.v1.UsageRecord;
import io.parley.usage.v1.UsageServiceGrpc;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.Bulkhead;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

/**
 * Client of {@code parley.usage.v1.UsageService}: keys, organizations, limits and the usage ledger.
 * Every call has a deadline; failures become the gateway's errors ({@link UsageErrors}). Idempotent
 * calls (Authenticate, the reads) are retried on transient failures; creating organizations,
 * members and keys is not. The calls on the request path (Authenticate, GetLimits, LeaseBudget)
 * carry no MP Fault Tolerance {@code @Timeout}: the gRPC deadline ({@code
 * parley.usage.deadline-ms}) bounds them without a timer per call. RecordUsage, ReturnLease and
 * GetPrices run off the request path and are retried by their callers (the usage outbox, the budget
 * leases). A circuit breaker per method opens when the service keeps failing (only unavailability
 * and timeouts count); while open, callers get 503 at once. {@link #enabled()} is false when {@code
 * parley.usage.target} is not set: the gateway then runs on its bootstrap admin key alone and never
 * calls this client.
 */
@ApplicationScoped
public class UsageClient implements UsageBackend {

  private Channel channel;
  private boolean enabled;
  private long deadlineMillis;
  private int retryAfterSeconds;

  /** For CDI proxies. */
  protected UsageClient() {}

  /**
   * @param channel channel to the usage service (opened on first use)
   * @param target the configured target; empty disables the client
   * @param deadlineMillis deadline of every call
   * @param retryAfterSeconds {@code retry-after} sent with transient failures
   */
  @Inject
  public UsageClient(
      @Usage Channel channel,
      @ConfigProperty(name = "parley.usage.target") Optional<String> target,
      @ConfigProperty(name = "parley.usage.deadline-ms") long deadlineMillis,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds) {
    this.channel = channel;
    this.enabled = target.filter(t -> !t.isBlank()).isPresent();
    this.deadlineMillis = deadlineMillis;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /**
   * Makes the channel connect at once if it is waiting out gRPC's reconnect backoff (which grows to
   * 2 minutes during an outage), so a retry after the service is back finds it.
   */
  public void reconnectNow() {
    if (channel instanceof ManagedChannel managed) {
      managed.resetConnectBackoff();
    }
  }

  /** Whether a usage service is configured. */
  @Override
  public boolean enabled() {
    return enabled;
  }

  /**
   * Resolves a bearer key.
   *
   * @param organization the organization asked for; empty for the key's default
   * @throws io.parley.gateway.domain.AuthenticationException for an unknown, revoked or expired
   *     key, or an organization the key cannot be used in
   */
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = ServiceUnavailableException.class)
  @CircuitBreaker(
      failOn = {ServiceUnavailableException.class, TimeoutException.class},
      requestVolumeThreshold = 20,
      failureRatio = 0.5,
      delay = 5_000,
      successThreshold = 2)
  @Bulkhead(128)
  @Override
  public AuthenticateResponse authenticate(String apiKey, String organization) {
    return call(
        s ->
            s.authenticate(
                AuthenticateRequest.newBuilder()
                    .setApiKey(apiKey)
                    .setOrganization(organization)
                    .build()),
        apiKey);
  }

  /** An organization's limits. */
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = ServiceUnavailableException.class)
  @CircuitBreaker(
      failOn = {ServiceUnavailableException.class, TimeoutException.class},
      requestVolumeThreshold = 20,
      failureRatio = 0.5,
      delay = 5_000,
      successThreshold = 2)
  @Override
  public Limits getLimits(String organization) {
    return call(
            s -> s.getLimits(GetLimitsRequest.newBuilder().setOrganization(organization).build()),
            "")
        .getLimits();
  }

  /** Replaces an organization's limits. */
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = ServiceUnavailableException.class)
  @Timeout(5_000)
  @Override
  public Limits setLimits(String organization, Limits limits) {
    return call(
            s ->
                s.setLimits(
                    SetLimitsRequest.newBuilder()
                        .setOrganization(organization)
                        .setLimits(limits)
                        .build()),
            "")
        .getLimits();
  }

  /**
   * Records the usage of finished requests in one call; idempotent by request id (a record already
   * in the ledger is reported as replayed). No retry here: the outbox retries with backoff.
   */
  public RecordUsageResponse recordUsage(List<UsageRecord> records) {
    return call(
        s -> s.recordUsage(RecordUsageRequest.newBuilder().addAllRecords(records).build()), "");
  }

  /**
   * Takes a lease on a share of an organization's hard-limit budget; idempotent by lease id. The
   * circuit breaker makes an outage answer at once (the caller then admits on outage credit).
   */
  @CircuitBreaker(
      failOn = {ServiceUnavailableException.class},
      requestVolumeThreshold = 10,
      failureRatio = 0.5,
      delay = 2_000,
      successThreshold = 1)
  @Override
  public LeaseBudgetResponse leaseBudget(
      String organization, String leaseId, String holder, long requestedMicros) {
    return call(
        s ->
            s.leaseBudget(
                LeaseBudgetRequest.newBuilder()
                    .setOrganization(organization)
                    .setLeaseId(leaseId)
                    .setHolder(holder)
                    .setRequestedMicros(requestedMicros)
                    .build()),
        "");
  }

  /** Ends a lease; what it still holds goes back to the organization's budget. */
  @Override
  public long returnLease(String organization, String leaseId) {
    return call(
            s ->
                s.returnLease(
                    ReturnLeaseRequest.newBuilder()
                        .setOrganization(organization)
                        .setLeaseId(leaseId)
                        .build()),
            "")
        .getReturnedMicros();
  }

  /** The price table the ledger charges with. */
  @Override
  public GetPricesResponse prices() {
    return call(s -> s.getPrices(GetPricesRequest.getDefaultInstance()), "");
  }

  /**
   * Creates an organization with its first owner.
   *
   * @param createdBy the person creating it; empty for the platform administrator
   * @param maxPerCreator most organizations one person may create; 0 = no cap
   */
  @Timeout(5_000)
  @Override
  public CreateOrganizationResponse createOrganization(
      String name, String ownerUser, String createdBy, int maxPerCreator) {
    return call(
        s ->
            s.createOrganization(
                CreateOrganizationRequest.newBuilder()
                    .setName(name)
                    .setOwnerUser(ownerUser)
                    .setCreatedBy(createdBy)
                    .setMaxPerCreator(maxPerCreator)
                    .build()),
        "");
  }

  /** Changes an existing member's role. */
  @Timeout(5_000)
  @Override
  public UpdateMemberRoleResponse updateMemberRole(UpdateMemberRoleRequest request) {
    return call(s -> s.updateMemberRole(request), "");
  }

  /** Invites a person by e-mail address. */
  @Timeout(5_000)
  @Override
  public Invite createInvite(CreateInviteRequest request) {
    return call(s -> s.createInvite(request), "").getInvite();
  }

  /** An organization's invitations. */
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = ServiceUnavailableException.class)
  @Timeout(5_000)
  @Override
  public ListInvitesResponse listInvites(String organization) {
    return call(
        s -> s.listInvites(ListInvitesRequest.newBuilder().setOrganization(organization).build()),
        "");
  }

  /** One invitation of an organization. */
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = ServiceUnavailableException.class)
  @Timeout(5_000)
  @Override
  public Invite getInvite(String organization, String invite) {
    return call(
            s ->
                s.getInvite(
                    GetInviteRequest.newBuilder()
                        .setOrganization(organization)
                        .setInvite(invite)
                        .build()),
            "")
        .getInvite();
  }

  /** Deletes a pending invitation. */
  @Timeout(5_000)
  @Override
  public void deleteInvite(String organization, String invite) {
    call(
        s ->
            s.deleteInvite(
                DeleteInviteRequest.newBuilder()
                    .setOrganization(organization)
                    .setInvite(invite)
                    .build()),
        "");
  }

  /** Accepts an invitation as the person it names. */
  @Timeout(5_000)
  @Override
  public Invite acceptInvite(String invite, String user) {
    return call(
            s ->
                s.acceptInvite(
                    AcceptInviteRequest.newBuilder().setInvite(invite).setUser(user).build()),
            "")
        .getInvite();
  }

  /** Creates a service account with its key. */
  @Timeout(5_000)
  @Override
  public CreateServiceAccountResponse createServiceAccount(CreateServiceAccountRequest request) {
    return call(s -> s.createServiceAccount(request), "");
  }

  /** An organization's service accounts. */
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = ServiceUnavailableException.class)
  @Timeout(5_000)
  @Override
  public ListServiceAccountsResponse listServiceAccounts(String organization) {
    return call(
        s ->
            s.listServiceAccounts(
                ListServiceAccountsRequest.newBuilder().setOrganization(organization).build()),
        "");
  }

  /** Deletes a service account and revokes its keys. */
  @Timeout(5_000)
  @Override
  public void deleteServiceAccount(String organization, String serviceAccount) {
    call(
        s ->
            s.deleteServiceAccount(
                DeleteServiceAccountRequest.newBuilder()
                    .setOrganization(organization)
                    .setServiceAccount(serviceAccount)
                    .build()),
        "");
  }

  /** An organization's moderation policy. */
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = ServiceUnavailableException.class)
  @Timeout(5_000)
  @CircuitBreaker(
      failOn = {ServiceUnavailableException.class, TimeoutException.class},
      requestVolumeThreshold = 20,
      failureRatio = 0.5,
      delay = 5_000,
      successThreshold = 2)
  @Override
  public ModerationPolicy moderationPolicy(String organization) {
    return call(
            s ->
                s.getModerationPolicy(
                    GetModerationPolicyRequest.newBuilder().setOrganization(organization).build()),
            "")
        .getPolicy();
  }

  /** Sets an organization's moderation policy. */
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = ServiceUnavailableException.class)
  @Timeout(5_000)
  @Override
  public ModerationPolicy setModerationPolicy(String organization, ModerationPolicy policy) {
    return call(
            s ->
                s.setModerationPolicy(
                    SetModerationPolicyRequest.newBuilder()
                        .setOrganization(organization)
                        .setPolicy(policy)
                        .build()),
            "")
        .getPolicy();
  }

  /** The organizations of a user. */
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = ServiceUnavailableException.class)
  @Timeout(5_000)
  @Override
  public ListOrganizationsResponse listOrganizations(String user) {
    return call(
        s -> s.listOrganizations(ListOrganizationsRequest.newBuilder().setUser(user).build()), "");
  }

  /** Adds a member or changes their role. */
  @Timeout(5_000)
  @Override
  public PutMemberResponse putMember(PutMemberRequest request) {
    return call(s -> s.putMember(request), "");
  }

  /** Removes a member; whether there was one. */
  @Timeout(5_000)
  @Override
  public boolean removeMember(String organization, String user) {
    return call(
            s ->
                s.removeMember(
                    RemoveMemberRequest.newBuilder()
                        .setOrganization(organization)
                        .setUser(user)
                        .build()),
            "")
        .getRemoved();
  }

  /** The members of an organization. */
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = ServiceUnavailableException.class)
  @Timeout(5_000)
  @Override
  public ListMembersResponse listMembers(String organization) {
    return call(
        s -> s.listMembers(ListMembersRequest.newBuilder().setOrganization(organization).build()),
        "");
  }

  /** Creates an API key; the response holds the secret, once. */
  @Timeout(5_000)
  @Override
  public CreateApiKeyResponse createApiKey(CreateApiKeyRequest request) {
    return call(s -> s.createApiKey(request), "");
  }

  /** The keys of an organization (metadata only). */
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = ServiceUnavailableException.class)
  @Timeout(5_000)
  @Override
  public ListApiKeysResponse listApiKeys(ListApiKeysRequest request) {
    return call(s -> s.listApiKeys(request), "");
  }

  /**
   * Revokes a key.
   *
   * @param user only a key of this user; empty = any key of the organization
   */
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = ServiceUnavailableException.class)
  @Timeout(5_000)
  @Override
  public boolean revokeApiKey(String organization, String apiKeyId, String user) {
    return call(
            s ->
                s.revokeApiKey(
                    RevokeApiKeyRequest.newBuilder()
                        .setOrganization(organization)
                        .setApiKeyId(apiKeyId)
                        .setUser(user)
                        .build()),
            "")
        .getRevoked();
  }

  /** Token usage in time buckets. */
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = ServiceUnavailableException.class)
  @Timeout(10_000)
  @Override
  public QueryUsageResponse queryUsage(QueryUsageRequest request) {
    return call(s -> s.queryUsage(request), "");
  }

  /** Costs in time buckets. */
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = ServiceUnavailableException.class)
  @Timeout(10_000)
  @Override
  public QueryCostsResponse queryCosts(QueryCostsRequest request) {
    return call(s -> s.queryCosts(request), "");
  }

  private <T> T call(Function<UsageServiceGrpc.UsageServiceBlockingStub, T> rpc, String apiKey) {
    if (!enabled) {
      throw new IllegalStateException("parley.usage.target is not set");
    }
    try {
      return rpc.apply(
          UsageServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS));
    } catch (StatusRuntimeException e) {
      throw failure(e, apiKey);
    }
  }

  private GatewayException failure(StatusRuntimeException e, String apiKey) {
    return UsageErrors.toGatewayException(GrpcErrors.parse(e), apiKey, retryAfterSeconds);
  }
}
