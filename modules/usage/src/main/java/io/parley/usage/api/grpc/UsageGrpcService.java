package io.parley.usage.api.grpc;

import io.grpc.stub.StreamObserver;
import io.parley.common.v1.TokenUsage;
import io.parley.usage.application.AccountService;
import io.parley.usage.application.LedgerService;
import io.parley.usage.application.UsageReports;
import io.parley.usage.domain.ApiKeyInfo;
import io.parley.usage.domain.Inputs;
import io.parley.usage.domain.InvalidUsageRequestException;
import io.parley.usage.domain.Invite;
import io.parley.usage.domain.Limits;
import io.parley.usage.domain.ModerationPolicy;
import io.parley.usage.domain.Price;
import io.parley.usage.domain.ReservationState;
import io.parley.usage.domain.Role;
import io.parley.usage.domain.ServiceAccount;
import io.parley.usage.domain.TokenCounts;
import io.parley.usage.domain.UsageException;
import io.parley.usage.domain.UsageRecord;
import io.parley.usage.v1.*;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Map;
import java.util.function.Supplier;

/** The gRPC edge of the usage service: maps messages to use cases and errors to statuses. */
public final class UsageGrpcService extends UsageServiceGrpc.UsageServiceImplBase {

  private final AccountService accounts;
  private final LedgerService ledger;
  private final UsageReports reports;
  private final Clock clock;

  public UsageGrpcService(
      AccountService accounts, LedgerService ledger, UsageReports reports, Clock clock) {
    this.accounts = accounts;
    this.clock = clock;
    this.ledger = ledger;
    this.reports = reports;
  }

  private static <T> void call(StreamObserver<T> observer, Supplier<T> work) {
    T response;
    try {
      response = work.get();
    } catch (UsageException e) {
      observer.onError(UsageErrors.toStatus(e));
      return;
    } catch (RuntimeException e) {
      observer.onError(UsageErrors.internal(e));
      return;
    }
    observer.onNext(response);
    observer.onCompleted();
  }

  @Override
  public void authenticate(AuthenticateRequest request, StreamObserver<AuthenticateResponse> o) {
    call(
        o,
        () -> {
          var p = accounts.authenticate(request.getApiKey(), request.getOrganization());
          return AuthenticateResponse.newBuilder()
              .setOrganization(p.organizationId())
              .setOrganizationName(p.organizationName())
              .setUser(p.userId())
              .setRole(toProto(p.role()))
              .setApiKeyId(p.apiKeyId())
              .setApiKeyOrganization(p.apiKeyOrganizationId())
              .setApiKeyExpiresAt(p.apiKeyExpiresAt())
              .setServiceAccount(p.serviceAccount())
              .build();
        });
  }

  @Override
  public void createOrganization(
      CreateOrganizationRequest request, StreamObserver<CreateOrganizationResponse> o) {
    call(
        o,
        () -> {
          var created =
              accounts.createOrganization(
                  request.getName(),
                  request.getOwnerUser(),
                  request.getCreatedBy(),
                  request.getMaxPerCreator());
          return CreateOrganizationResponse.newBuilder()
              .setOrganization(created.organization().id())
              .setOwnerUser(created.ownerUserId())
              .build();
        });
  }

  @Override
  public void listOrganizations(
      ListOrganizationsRequest request, StreamObserver<ListOrganizationsResponse> o) {
    call(
        o,
        () -> {
          var b = ListOrganizationsResponse.newBuilder();
          for (var m : accounts.organizationsOf(request.getUser())) {
            b.addOrganizations(
                Organization.newBuilder()
                    .setId(m.organization().id())
                    .setName(m.organization().name())
                    .setCreatedAt(m.organization().createdAt())
                    .setRole(toProto(m.role()))
                    .setIsDefault(m.isDefault()));
          }
          return b.build();
        });
  }

  @Override
  public void putMember(PutMemberRequest request, StreamObserver<PutMemberResponse> o) {
    call(
        o,
        () ->
            PutMemberResponse.newBuilder()
                .setUser(
                    accounts.putMember(
                        request.getOrganization(), request.getUser(), fromProto(request.getRole())))
                .build());
  }

  @Override
  public void removeMember(RemoveMemberRequest request, StreamObserver<RemoveMemberResponse> o) {
    call(
        o,
        () ->
            RemoveMemberResponse.newBuilder()
                .setRemoved(accounts.removeMember(request.getOrganization(), request.getUser()))
                .build());
  }

  @Override
  public void listMembers(ListMembersRequest request, StreamObserver<ListMembersResponse> o) {
    call(
        o,
        () -> {
          var b = ListMembersResponse.newBuilder();
          for (var m : accounts.members(request.getOrganization())) {
            b.addMembers(
                Member.newBuilder()
                    .setUser(m.userId())
                    .setEmail(m.email())
                    .setRole(toProto(m.role()))
                    .setAddedAt(m.addedAt()));
          }
          return b.build();
        });
  }

  @Override
  public void createApiKey(CreateApiKeyRequest request, StreamObserver<CreateApiKeyResponse> o) {
    call(
        o,
        () -> {
          var created =
              accounts.createApiKey(
                  request.getOrganization(),
                  request.getUser(),
                  request.getName(),
                  request.getExpiresAt());
          return CreateApiKeyResponse.newBuilder()
              .setApiKeyId(created.info().id())
              .setSecret(created.secret())
              .setApiKey(toProto(created.info()))
              .build();
        });
  }

  @Override
  public void listApiKeys(ListApiKeysRequest request, StreamObserver<ListApiKeysResponse> o) {
    call(
        o,
        () -> {
          var b = ListApiKeysResponse.newBuilder();
          for (var k :
              accounts.apiKeys(
                  request.getOrganization(), request.getUser(), request.getIncludeRevoked())) {
            b.addApiKeys(toProto(k));
          }
          return b.build();
        });
  }

  @Override
  public void revokeApiKey(RevokeApiKeyRequest request, StreamObserver<RevokeApiKeyResponse> o) {
    call(
        o,
        () -> {
          accounts.revokeApiKey(
              request.getOrganization(), request.getApiKeyId(), request.getUser());
          return RevokeApiKeyResponse.newBuilder().setRevoked(true).build();
        });
  }

  @Override
  public void setLimits(SetLimitsRequest request, StreamObserver<SetLimitsResponse> o) {
    call(
        o,
        () -> {
          if (request.getLimits().getModelLimitsCount() > Inputs.MAX_MODEL_LIMITS) {
            throw new InvalidUsageRequestException(
                "At most " + Inputs.MAX_MODEL_LIMITS + " model limits.", "limits.model_limits");
          }
          return SetLimitsResponse.newBuilder()
              .setLimits(
                  toProto(
                      accounts.setLimits(
                          request.getOrganization(), fromProto(request.getLimits()))))
              .build();
        });
  }

  @Override
  public void getLimits(GetLimitsRequest request, StreamObserver<GetLimitsResponse> o) {
    call(
        o,
        () ->
            GetLimitsResponse.newBuilder()
                .setLimits(toProto(accounts.limits(request.getOrganization())))
                .build());
  }

  @Override
  public void getBudget(GetBudgetRequest request, StreamObserver<GetBudgetResponse> o) {
    call(
        o,
        () -> {
          var b = ledger.budget(request.getOrganization());
          return GetBudgetResponse.newBuilder()
              .setPeriodStart(b.periodStart())
              .setPeriodEnd(b.periodEnd())
              .setSpentMicros(b.spentMicros())
              // Lease holds are budget reserved for requests in flight on a gateway replica.
              .setReservedMicros(b.reservedMicros() + b.heldMicros())
              .setSoftLimitMicros(b.softLimitMicros())
              .setHardLimitMicros(b.hardLimitMicros())
              .setSoftLimitReachedAt(b.softLimitReachedAt())
              .build();
        });
  }

  @Override
  public void reserve(ReserveRequest request, StreamObserver<ReserveResponse> o) {
    call(
        o,
        () -> {
          var outcome =
              ledger.reserve(
                  request.getRequestId(),
                  request.getOrganization(),
                  request.getApiKeyId(),
                  request.getModel(),
                  tokens(request.getEstimated(), "estimated"));
          return ReserveResponse.newBuilder()
              .setSoftLimitReached(outcome.notification().isPresent())
              .setReservedMicros(outcome.reservedMicros())
              .setState(toProto(outcome.state()))
              .setRemainingMicros(outcome.remainingMicros())
              .build();
        });
  }

  @Override
  public void settle(SettleRequest request, StreamObserver<SettleResponse> o) {
    call(
        o,
        () -> {
          var outcome =
              ledger.settle(
                  request.getRequestId(),
                  tokens(request.getActual(), "actual"),
                  request.getOrganization(),
                  request.getApiKeyId(),
                  request.getModel());
          return SettleResponse.newBuilder()
              .setCostMicros(outcome.costMicros())
              .setState(io.parley.usage.v1.ReservationState.RESERVATION_STATE_SETTLED)
              .setReplayed(outcome.replayed())
              .build();
        });
  }

  @Override
  public void release(ReleaseRequest request, StreamObserver<ReleaseResponse> o) {
    call(
        o,
        () ->
            ReleaseResponse.newBuilder()
                .setState(toProto(ledger.release(request.getRequestId())))
                .build());
  }

  @Override
  public void recordUsage(RecordUsageRequest request, StreamObserver<RecordUsageResponse> o) {
    call(
        o,
        () -> {
          if (request.getRecordsCount() > LedgerService.MAX_RECORDS) {
            throw new InvalidUsageRequestException(
                "At most " + LedgerService.MAX_RECORDS + " records may be sent at once.",
                "records");
          }
          var records = new ArrayList<UsageRecord>(request.getRecordsCount());
          for (int i = 0; i < request.getRecordsCount(); i++) {
            var r = request.getRecords(i);
            records.add(
                new UsageRecord(
                    r.getRequestId(),
                    r.getOrganization(),
                    r.getApiKeyId(),
                    r.getModel(),
                    tokens(r.getUsage(), "records[" + i + "].usage"),
                    r.getLeaseId(),
                    r.getFinishedAtMs(),
                    r.getInterrupted()));
          }
          var b = RecordUsageResponse.newBuilder();
          for (var outcome : ledger.recordUsage(records).outcomes()) {
            b.addResults(
                RecordResult.newBuilder()
                    .setRequestId(outcome.requestId())
                    .setCostMicros(outcome.costMicros())
                    .setReplayed(outcome.replayed()));
          }
          return b.build();
        });
  }

  @Override
  public void leaseBudget(LeaseBudgetRequest request, StreamObserver<LeaseBudgetResponse> o) {
    call(
        o,
        () -> {
          var grant =
              ledger.leaseBudget(
                  request.getOrganization(),
                  request.getLeaseId(),
                  request.getHolder(),
                  request.getRequestedMicros());
          return LeaseBudgetResponse.newBuilder()
              .setUnlimited(grant.unlimited())
              .setGrantedMicros(grant.grantedMicros())
              .setExpiresAtMs(grant.expiresAtMillis())
              .setRemainingMicros(grant.remainingMicros())
              .setSoftLimitReached(grant.softLimitReached())
              .build();
        });
  }

  @Override
  public void returnLease(ReturnLeaseRequest request, StreamObserver<ReturnLeaseResponse> o) {
    call(
        o,
        () ->
            ReturnLeaseResponse.newBuilder()
                .setReturnedMicros(
                    ledger.returnLease(request.getLeaseId(), request.getOrganization()))
                .build());
  }

  @Override
  public void getPrices(GetPricesRequest request, StreamObserver<GetPricesResponse> o) {
    call(
        o,
        () -> {
          var table = ledger.prices();
          var b = GetPricesResponse.newBuilder().setDefaultPrice(toProto("", table.defaultPrice()));
          table.prices().entrySet().stream()
              .sorted(Map.Entry.comparingByKey())
              .forEach(e -> b.addPrices(toProto(e.getKey(), e.getValue())));
          return b.build();
        });
  }

  @Override
  public void queryUsage(QueryUsageRequest request, StreamObserver<QueryUsageResponse> o) {
    call(
        o,
        () -> {
          var page =
              reports.report(
                  new UsageReports.Request(
                      request.getOrganization(),
                      request.getStartTime(),
                      request.getEndTime(),
                      request.getBucketWidth(),
                      request.getGroupByList(),
                      request.getModelsList(),
                      request.getApiKeyIdsList(),
                      request.getUserIdsList(),
                      request.getLimit(),
                      request.getPage()),
                  false);
          var b = QueryUsageResponse.newBuilder();
          for (var bucket : page.buckets()) {
            if (bucket.rows().isEmpty()) {
              b.addResults(
                  UsageResult.newBuilder()
                      .setStartTime(bucket.start())
                      .setEndTime(bucket.end())
                      .setTokens(TokenUsage.getDefaultInstance()));
            }
            for (var row : bucket.rows()) {
              b.addResults(
                  UsageResult.newBuilder()
                      .setStartTime(bucket.start())
                      .setEndTime(bucket.end())
                      .putAllGroup(row.group())
                      .setTokens(
                          TokenUsage.newBuilder()
                              .setPromptTokens(saturate(row.promptTokens()))
                              .setCompletionTokens(saturate(row.completionTokens()))
                              .setTotalTokens(
                                  saturate(row.promptTokens() + row.completionTokens())))
                      .setNumModelRequests(row.requests())
                      .setCostMicros(row.inputCostMicros() + row.outputCostMicros()));
            }
          }
          return b.setHasMore(!page.nextPage().isEmpty()).setNextPage(page.nextPage()).build();
        });
  }

  @Override
  public void queryCosts(QueryCostsRequest request, StreamObserver<QueryCostsResponse> o) {
    call(
        o,
        () -> {
          var page =
              reports.report(
                  new UsageReports.Request(
                      request.getOrganization(),
                      request.getStartTime(),
                      request.getEndTime(),
                      request.getBucketWidth(),
                      request.getGroupByList(),
                      java.util.List.of(),
                      java.util.List.of(),
                      java.util.List.of(),
                      request.getLimit(),
                      request.getPage()),
                  true);
          boolean lineItems = request.getGroupByList().contains("line_item");
          boolean byModel = request.getGroupByList().contains("model");
          var b = QueryCostsResponse.newBuilder();
          for (var bucket : page.buckets()) {
            if (bucket.rows().isEmpty()) {
              b.addResults(
                  CostResult.newBuilder()
                      .setStartTime(bucket.start())
                      .setEndTime(bucket.end())
                      .setCurrency("usd"));
            }
            for (var row : bucket.rows()) {
              if (lineItems) {
                for (var item : UsageReports.lineItems(row)) {
                  var group = new java.util.LinkedHashMap<>(row.group());
                  if (!byModel) {
                    group.remove("model");
                  }
                  group.put("line_item", item.getKey());
                  b.addResults(
                      CostResult.newBuilder()
                          .setStartTime(bucket.start())
                          .setEndTime(bucket.end())
                          .putAllGroup(group)
                          .setAmountMicros(item.getValue())
                          .setCurrency("usd"));
                }
              } else {
                b.addResults(
                    CostResult.newBuilder()
                        .setStartTime(bucket.start())
                        .setEndTime(bucket.end())
                        .putAllGroup(row.group())
                        .setAmountMicros(row.inputCostMicros() + row.outputCostMicros())
                        .setCurrency("usd"));
              }
            }
          }
          return b.setHasMore(!page.nextPage().isEmpty()).setNextPage(page.nextPage()).build();
        });
  }

  @Override
  public void listNotifications(
      ListNotificationsRequest request, StreamObserver<ListNotificationsResponse> o) {
    call(
        o,
        () -> {
          var b = ListNotificationsResponse.newBuilder();
          for (var n : ledger.notifications(request.getOrganization())) {
            b.addNotifications(
                Notification.newBuilder()
                    .setId(n.id())
                    .setOrganization(n.organizationId())
                    .setKind(n.kind())
                    .setPeriodStart(n.periodStart())
                    .setThresholdMicros(n.thresholdMicros())
                    .setAmountMicros(n.amountMicros())
                    .setCreatedAt(n.createdAt())
                    .setDeliveredAt(n.deliveredAt()));
          }
          return b.build();
        });
  }

  @Override
  public void updateMemberRole(
      UpdateMemberRoleRequest request, StreamObserver<UpdateMemberRoleResponse> o) {
    call(
        o,
        () -> {
          var m =
              accounts.updateMemberRole(
                  request.getOrganization(), request.getUser(), fromProto(request.getRole()));
          return UpdateMemberRoleResponse.newBuilder()
              .setMember(
                  Member.newBuilder()
                      .setUser(m.userId())
                      .setEmail(m.email())
                      .setRole(toProto(m.role()))
                      .setAddedAt(m.addedAt()))
              .build();
        });
  }

  @Override
  public void createInvite(CreateInviteRequest request, StreamObserver<CreateInviteResponse> o) {
    call(
        o,
        () ->
            CreateInviteResponse.newBuilder()
                .setInvite(
                    toProto(
                        accounts.createInvite(
                            request.getOrganization(),
                            request.getEmail(),
                            fromProto(request.getRole()),
                            request.getInvitedBy(),
                            request.getTtlSeconds()),
                        now()))
                .build());
  }

  @Override
  public void listInvites(ListInvitesRequest request, StreamObserver<ListInvitesResponse> o) {
    call(
        o,
        () -> {
          var b = ListInvitesResponse.newBuilder();
          long now = now();
          for (var i : accounts.invites(request.getOrganization())) {
            b.addInvites(toProto(i, now));
          }
          return b.build();
        });
  }

  @Override
  public void getInvite(GetInviteRequest request, StreamObserver<GetInviteResponse> o) {
    call(
        o,
        () ->
            GetInviteResponse.newBuilder()
                .setInvite(
                    toProto(accounts.invite(request.getOrganization(), request.getInvite()), now()))
                .build());
  }

  @Override
  public void deleteInvite(DeleteInviteRequest request, StreamObserver<DeleteInviteResponse> o) {
    call(
        o,
        () -> {
          accounts.deleteInvite(request.getOrganization(), request.getInvite());
          return DeleteInviteResponse.newBuilder().setDeleted(true).build();
        });
  }

  @Override
  public void acceptInvite(AcceptInviteRequest request, StreamObserver<AcceptInviteResponse> o) {
    call(
        o,
        () ->
            AcceptInviteResponse.newBuilder()
                .setInvite(
                    toProto(accounts.acceptInvite(request.getInvite(), request.getUser()), now()))
                .build());
  }

  @Override
  public void createServiceAccount(
      CreateServiceAccountRequest request, StreamObserver<CreateServiceAccountResponse> o) {
    call(
        o,
        () -> {
          var created =
              accounts.createServiceAccount(
                  request.getOrganization(), request.getName(), fromProto(request.getRole()));
          return CreateServiceAccountResponse.newBuilder()
              .setServiceAccount(toProto(created.account()))
              .setApiKey(toProto(created.key().info()))
              .setSecret(created.key().secret())
              .build();
        });
  }

  @Override
  public void listServiceAccounts(
      ListServiceAccountsRequest request, StreamObserver<ListServiceAccountsResponse> o) {
    call(
        o,
        () -> {
          var b = ListServiceAccountsResponse.newBuilder();
          for (var a : accounts.serviceAccounts(request.getOrganization())) {
            b.addServiceAccounts(toProto(a));
          }
          return b.build();
        });
  }

  @Override
  public void deleteServiceAccount(
      DeleteServiceAccountRequest request, StreamObserver<DeleteServiceAccountResponse> o) {
    call(
        o,
        () -> {
          accounts.deleteServiceAccount(request.getOrganization(), request.getServiceAccount());
          return DeleteServiceAccountResponse.newBuilder().setDeleted(true).build();
        });
  }

  @Override
  public void getModerationPolicy(
      GetModerationPolicyRequest request, StreamObserver<GetModerationPolicyResponse> o) {
    call(
        o,
        () ->
            GetModerationPolicyResponse.newBuilder()
                .setPolicy(toProto(accounts.moderationPolicy(request.getOrganization())))
                .build());
  }

  @Override
  public void setModerationPolicy(
      SetModerationPolicyRequest request, StreamObserver<SetModerationPolicyResponse> o) {
    call(
        o,
        () ->
            SetModerationPolicyResponse.newBuilder()
                .setPolicy(
                    toProto(
                        accounts.setModerationPolicy(
                            request.getOrganization(),
                            new ModerationPolicy(
                                request.getPolicy().getScreenInput(),
                                request.getPolicy().getScreenOutput()))))
                .build());
  }

  private long now() {
    return clock.millis() / 1000;
  }

  private static TokenCounts tokens(TokenUsage usage, String param) {
    if (usage.getPromptTokens() < 0 || usage.getCompletionTokens() < 0) {
      throw new InvalidUsageRequestException("Token counts must not be negative.", param);
    }
    return new TokenCounts(usage.getPromptTokens(), usage.getCompletionTokens());
  }

  private static ModelPrice toProto(String model, Price price) {
    return ModelPrice.newBuilder()
        .setModel(model)
        .setPromptPerMillion(price.promptPerMillion())
        .setCompletionPerMillion(price.completionPerMillion())
        .build();
  }

  private static int saturate(long value) {
    return (int) Math.min(Integer.MAX_VALUE, value);
  }

  private static io.parley.usage.v1.Role toProto(Role role) {
    return role == Role.OWNER
        ? io.parley.usage.v1.Role.ROLE_OWNER
        : io.parley.usage.v1.Role.ROLE_READER;
  }

  private static Role fromProto(io.parley.usage.v1.Role role) {
    return switch (role) {
      case ROLE_OWNER -> Role.OWNER;
      case ROLE_READER -> Role.READER;
      default -> throw new InvalidUsageRequestException("role must be reader or owner.", "role");
    };
  }

  private static io.parley.usage.v1.ReservationState toProto(ReservationState state) {
    return switch (state) {
      case RESERVED -> io.parley.usage.v1.ReservationState.RESERVATION_STATE_RESERVED;
      case SETTLED -> io.parley.usage.v1.ReservationState.RESERVATION_STATE_SETTLED;
      case RELEASED -> io.parley.usage.v1.ReservationState.RESERVATION_STATE_RELEASED;
    };
  }

  private static ApiKey toProto(ApiKeyInfo k) {
    return ApiKey.newBuilder()
        .setId(k.id())
        .setName(k.name())
        .setRedactedValue(k.redactedValue())
        .setOrganization(k.organizationId())
        .setUser(k.userId())
        .setCreatedAt(k.createdAt())
        .setLastUsedAt(k.lastUsedAt())
        .setExpiresAt(k.expiresAt())
        .setRevokedAt(k.revokedAt())
        .setServiceAccount(k.serviceAccount())
        .build();
  }

  private static io.parley.usage.v1.Invite toProto(Invite i, long now) {
    return io.parley.usage.v1.Invite.newBuilder()
        .setId(i.id())
        .setOrganization(i.organizationId())
        .setEmail(i.email())
        .setRole(toProto(i.role()))
        .setStatus(
            switch (i.statusAt(now)) {
              case PENDING -> InviteStatus.INVITE_STATUS_PENDING;
              case ACCEPTED -> InviteStatus.INVITE_STATUS_ACCEPTED;
              case EXPIRED -> InviteStatus.INVITE_STATUS_EXPIRED;
            })
        .setInvitedAt(i.invitedAt())
        .setExpiresAt(i.expiresAt())
        .setAcceptedAt(i.acceptedAt())
        .build();
  }

  private static io.parley.usage.v1.ServiceAccount toProto(ServiceAccount a) {
    return io.parley.usage.v1.ServiceAccount.newBuilder()
        .setId(a.id())
        .setOrganization(a.organizationId())
        .setName(a.name())
        .setRole(toProto(a.role()))
        .setCreatedAt(a.createdAt())
        .build();
  }

  private static io.parley.usage.v1.ModerationPolicy toProto(ModerationPolicy p) {
    return io.parley.usage.v1.ModerationPolicy.newBuilder()
        .setScreenInput(p.screenInput())
        .setScreenOutput(p.screenOutput())
        .build();
  }

  private static io.parley.usage.v1.Limits toProto(Limits l) {
    var b =
        io.parley.usage.v1.Limits.newBuilder()
            .setRequestsPerMinute(l.requestsPerMinute())
            .setTokensPerMinute(l.tokensPerMinute())
            .setSoftLimitMicros(l.softLimitMicros())
            .setHardLimitMicros(l.hardLimitMicros());
    for (var m : l.modelLimits()) {
      b.addModelLimits(
          ModelRateLimit.newBuilder()
              .setModel(m.model())
              .setRequestsPerMinute(m.requestsPerMinute())
              .setTokensPerMinute(m.tokensPerMinute()));
    }
    return b.build();
  }

  private static Limits fromProto(io.parley.usage.v1.Limits l) {
    return new Limits(
        l.getRequestsPerMinute(),
        l.getTokensPerMinute(),
        l.getSoftLimitMicros(),
        l.getHardLimitMicros(),
        l.getModelLimitsList().stream()
            .map(
                m ->
                    new Limits.ModelRateLimit(
                        m.getModel(), m.getRequestsPerMinute(), m.getTokensPerMinute()))
            .toList());
  }
}
