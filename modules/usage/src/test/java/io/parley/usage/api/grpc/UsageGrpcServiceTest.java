package io.parley.usage.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.parley.common.grpc.GrpcErrors;
import io.parley.common.v1.TokenUsage;
import io.parley.usage.testsupport.MutableClock;
import io.parley.usage.testsupport.Stack;
import io.parley.usage.testsupport.TestDatabases;
import io.parley.usage.v1.*;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gRPC edge through an in-process server with real stubs, on embedded H2 (Flyway on H2). */
class UsageGrpcServiceTest {

  private static final Instant T0 = Instant.parse("2026-11-10T00:00:00Z");
  private static final MutableClock CLOCK = new MutableClock(T0);
  private static Stack stack;
  private static Server server;
  private static ManagedChannel channel;
  private static UsageServiceGrpc.UsageServiceBlockingStub stub;

  @BeforeAll
  static void start() throws Exception {
    stack = Stack.over(TestDatabases.h2(), CLOCK, Optional.empty(), n -> {});
    var name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                new UsageGrpcService(stack.accounts(), stack.ledger(), stack.reports(), CLOCK))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub = UsageServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    stack.database().close();
  }

  private static UsageServiceGrpc.UsageServiceBlockingStub call() {
    return stub.withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static TokenUsage tokens(int prompt, int completion) {
    return TokenUsage.newBuilder()
        .setPromptTokens(prompt)
        .setCompletionTokens(completion)
        .setTotalTokens(prompt + completion)
        .build();
  }

  @Test
  void authenticate_unknownKey_unauthenticatedInvalidApiKey_withoutEchoingIt() {
    var secret = "sk-" + "Q".repeat(48);
    assertThatThrownBy(
            () -> call().authenticate(AuthenticateRequest.newBuilder().setApiKey(secret).build()))
        .satisfies(
            e -> {
              var error = GrpcErrors.parse(e);
              assertThat(error.code()).isEqualTo(Status.Code.UNAUTHENTICATED);
              assertThat(error.reason()).isEqualTo("invalid_api_key");
              assertThat(error.message()).doesNotContain(secret);
            });
  }

  @Test
  void invites_serviceAccounts_andBounds_overGrpc() {
    var a =
        call()
            .createOrganization(
                CreateOrganizationRequest.newBuilder()
                    .setName("A")
                    .setOwnerUser("grpc-a@acme.test")
                    .build());
    var b =
        call()
            .createOrganization(
                CreateOrganizationRequest.newBuilder()
                    .setName("B")
                    .setOwnerUser("grpc-b@acme.test")
                    .build());
    var invite =
        call()
            .createInvite(
                CreateInviteRequest.newBuilder()
                    .setOrganization(a.getOrganization())
                    .setEmail("Someone@Acme.test")
                    .setRole(io.parley.usage.v1.Role.ROLE_READER)
                    .build())
            .getInvite();
    assertThat(invite.getStatus()).isEqualTo(InviteStatus.INVITE_STATUS_PENDING);
    assertThat(invite.getEmail()).isEqualTo("someone@acme.test");
    assertThatThrownBy(
            () ->
                call()
                    .acceptInvite(
                        AcceptInviteRequest.newBuilder()
                            .setInvite(invite.getId())
                            .setUser(b.getOwnerUser())
                            .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
              assertThat(GrpcErrors.parse(e).reason()).isEqualTo("invite_email_mismatch");
            });

    var account =
        call()
            .createServiceAccount(
                CreateServiceAccountRequest.newBuilder()
                    .setOrganization(a.getOrganization())
                    .setName("bot")
                    .setRole(io.parley.usage.v1.Role.ROLE_READER)
                    .build());
    var principal =
        call()
            .authenticate(AuthenticateRequest.newBuilder().setApiKey(account.getSecret()).build());
    assertThat(principal.getServiceAccount()).isTrue();
    assertThatThrownBy(
            () ->
                call()
                    .authenticate(
                        AuthenticateRequest.newBuilder()
                            .setApiKey(account.getSecret())
                            .setOrganization(b.getOrganization())
                            .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));

    var limits = io.parley.usage.v1.Limits.newBuilder();
    for (int i = 0; i < 1_001; i++) {
      limits.addModelLimits(ModelRateLimit.newBuilder().setModel("m" + i).setRequestsPerMinute(1));
    }
    assertThatThrownBy(
            () ->
                call()
                    .setLimits(
                        SetLimitsRequest.newBuilder()
                            .setOrganization(a.getOrganization())
                            .setLimits(limits)
                            .build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
  }

  @Test
  void reserve_pastHardLimit_resourceExhaustedInsufficientQuota() {
    var org =
        call()
            .createOrganization(
                CreateOrganizationRequest.newBuilder()
                    .setName("Quota")
                    .setOwnerUser("quota@acme.test")
                    .build())
            .getOrganization();
    call()
        .setLimits(
            SetLimitsRequest.newBuilder()
                .setOrganization(org)
                .setLimits(Limits.newBuilder().setHardLimitMicros(100))
                .build());
    assertThatThrownBy(
            () ->
                call()
                    .reserve(
                        ReserveRequest.newBuilder()
                            .setRequestId("r-quota")
                            .setOrganization(org)
                            .setModel("m")
                            .setEstimated(tokens(50, 50))
                            .build()))
        .satisfies(
            e -> {
              var error = GrpcErrors.parse(e);
              assertThat(error.code()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(error.reason()).isEqualTo("insufficient_quota");
              assertThat(error.metadata()).containsEntry("type", "insufficient_quota");
            });
  }

  @Test
  void usage_isBucketedAndGrouped_andCostsHaveLineItems() {
    var created =
        call()
            .createOrganization(
                CreateOrganizationRequest.newBuilder()
                    .setName("Usage")
                    .setOwnerUser("usage@acme.test")
                    .build());
    var org = created.getOrganization();
    var key =
        call()
            .createApiKey(
                CreateApiKeyRequest.newBuilder()
                    .setOrganization(org)
                    .setUser(created.getOwnerUser())
                    .setName("k")
                    .build());
    assertThat(key.getSecret()).startsWith("sk-");
    assertThat(key.getApiKey().getRedactedValue()).doesNotContain(key.getSecret());
    long start = CLOCK.millis() / 1000;
    // Minute 0: two requests of model m; minute 2: one of model free.
    for (var spec : new String[][] {{"u1", "m"}, {"u2", "m"}}) {
      call()
          .reserve(
              ReserveRequest.newBuilder()
                  .setRequestId(spec[0])
                  .setOrganization(org)
                  .setApiKeyId(key.getApiKeyId())
                  .setModel(spec[1])
                  .setEstimated(tokens(10, 10))
                  .build());
      var settled =
          call()
              .settle(
                  SettleRequest.newBuilder()
                      .setRequestId(spec[0])
                      .setActual(tokens(10, 5))
                      .build());
      assertThat(settled.getCostMicros()).isEqualTo(20);
    }
    CLOCK.advance(Duration.ofMinutes(2));
    call()
        .settle(
            SettleRequest.newBuilder()
                .setRequestId("u3")
                .setActual(tokens(7, 3))
                .setOrganization(org)
                .setApiKeyId(key.getApiKeyId())
                .setModel("free")
                .build());

    var usage =
        call()
            .queryUsage(
                QueryUsageRequest.newBuilder()
                    .setOrganization(org)
                    .setStartTime(start)
                    .setEndTime(start + 180)
                    .setBucketWidth("1m")
                    .addGroupBy("model")
                    .addGroupBy("user")
                    .build());
    assertThat(usage.getResultsList()).hasSize(3);
    var first = usage.getResults(0);
    assertThat(first.getStartTime()).isEqualTo(start);
    assertThat(first.getNumModelRequests()).isEqualTo(2);
    assertThat(first.getTokens().getPromptTokens()).isEqualTo(20);
    assertThat(first.getTokens().getCompletionTokens()).isEqualTo(10);
    assertThat(first.getGroupMap())
        .containsEntry("model", "m")
        .containsEntry("user", created.getOwnerUser());
    assertThat(usage.getResults(1).getNumModelRequests()).isZero();
    assertThat(usage.getResults(2).getGroupMap()).containsEntry("model", "free");
    assertThat(usage.getResults(2).getTokens().getTotalTokens()).isEqualTo(10);

    var paged =
        call()
            .queryUsage(
                QueryUsageRequest.newBuilder()
                    .setOrganization(org)
                    .setStartTime(start)
                    .setEndTime(start + 180)
                    .setBucketWidth("1m")
                    .setLimit(2)
                    .build());
    assertThat(paged.getHasMore()).isTrue();
    assertThat(paged.getNextPage()).isEqualTo(Long.toString(start + 120));

    var daily =
        call()
            .queryCosts(
                QueryCostsRequest.newBuilder()
                    .setOrganization(org)
                    .setStartTime(start)
                    .setEndTime(start + 86400)
                    .addGroupBy("line_item")
                    .build());
    assertThat(daily.getResultsList())
        .extracting(r -> r.getGroupMap().get("line_item") + "=" + r.getAmountMicros())
        .containsExactlyInAnyOrder(
            "free, input=0", "free, output=0", "m, input=20", "m, output=20");
  }

  private static String organization(String name, long hardLimitMicros) {
    var org =
        call()
            .createOrganization(
                CreateOrganizationRequest.newBuilder()
                    .setName(name)
                    .setOwnerUser(name.toLowerCase() + "@acme.test")
                    .build())
            .getOrganization();
    call()
        .setLimits(
            SetLimitsRequest.newBuilder()
                .setOrganization(org)
                .setLimits(Limits.newBuilder().setHardLimitMicros(hardLimitMicros))
                .build());
    return org;
  }

  private static UsageRecord.Builder usageRecord(String requestId, String org) {
    return UsageRecord.newBuilder()
        .setRequestId(requestId)
        .setOrganization(org)
        .setModel("m")
        .setUsage(tokens(10, 5))
        .setFinishedAtMs(CLOCK.millis());
  }

  private static void assertInvalid(Runnable call, String param) {
    assertThatThrownBy(call::run)
        .as(param)
        .satisfies(
            e -> {
              var error = GrpcErrors.parse(e);
              assertThat(error.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(error.reason()).isEqualTo("invalid_value");
              assertThat(error.metadata()).containsEntry(GrpcErrors.PARAM, param);
            });
  }

  @Test
  void recordUsage_chargesInOrder_andARetriedBatchIsReplayed() {
    var org = organization("Batch", 0);
    var batch =
        RecordUsageRequest.newBuilder()
            .addRecords(usageRecord("rec-1", org))
            .addRecords(usageRecord("rec-2", org).setInterrupted(true).setUsage(tokens(1, 1)))
            .build();

    var first = call().recordUsage(batch);
    var retry = call().recordUsage(batch);

    assertThat(first.getResultsList())
        .extracting(r -> r.getRequestId() + "=" + r.getCostMicros() + "/" + r.getReplayed())
        .containsExactly("rec-1=20/false", "rec-2=3/false");
    assertThat(retry.getResultsList())
        .extracting(r -> r.getRequestId() + "=" + r.getCostMicros() + "/" + r.getReplayed())
        .containsExactly("rec-1=0/true", "rec-2=0/true");
    var budget = call().getBudget(GetBudgetRequest.newBuilder().setOrganization(org).build());
    assertThat(budget.getSpentMicros()).isEqualTo(23);
  }

  @Test
  void recordUsage_requestIdOfAnotherOrganization_alreadyExistsNamingTheRecord() {
    var mine = organization("Mine", 0);
    var theirs = organization("Theirs", 0);
    call()
        .recordUsage(
            RecordUsageRequest.newBuilder().addRecords(usageRecord("shared-id", theirs)).build());

    assertThatThrownBy(
            () ->
                call()
                    .recordUsage(
                        RecordUsageRequest.newBuilder()
                            .addRecords(usageRecord("own-id", mine))
                            .addRecords(usageRecord("shared-id", mine))
                            .build()))
        .satisfies(
            e -> {
              var error = GrpcErrors.parse(e);
              assertThat(error.code()).isEqualTo(Status.Code.ALREADY_EXISTS);
              assertThat(error.reason()).isEqualTo("request_id_conflict");
              assertThat(error.metadata()).containsEntry(GrpcErrors.PARAM, "records[1].request_id");
            });
    var budget = call().getBudget(GetBudgetRequest.newBuilder().setOrganization(mine).build());
    assertThat(budget.getSpentMicros()).isZero();
  }

  @Test
  void recordUsage_boundsEveryInput_invalidArgumentWithParam() {
    var org = organization("Bounds", 0);
    var tooMany = RecordUsageRequest.newBuilder();
    for (int i = 0; i < 1_001; i++) {
      tooMany.addRecords(usageRecord("many-" + i, org));
    }
    assertInvalid(() -> call().recordUsage(tooMany.build()), "records");
    var cases =
        java.util.Map.of(
            "records[1].usage",
            usageRecord("b-1", org).setUsage(tokens(-1, 0)),
            "records[1].request_id",
            usageRecord("r".repeat(129), org),
            "records[1].organization",
            usageRecord("b-2", "o".repeat(65)),
            "records[1].api_key_id",
            usageRecord("b-3", org).setApiKeyId("key with spaces"),
            "records[1].lease_id",
            usageRecord("b-4", org).setLeaseId("l".repeat(65)),
            "records[1].model",
            usageRecord("b-5", org).setModel(""),
            "records[1].finished_at_ms",
            usageRecord("b-6", org).setFinishedAtMs(-1));
    cases.forEach(
        (param, bad) ->
            assertInvalid(
                () ->
                    call()
                        .recordUsage(
                            RecordUsageRequest.newBuilder()
                                .addRecords(usageRecord("fine-" + param, org))
                                .addRecords(bad)
                                .build()),
                param));
    var budget = call().getBudget(GetBudgetRequest.newBuilder().setOrganization(org).build());
    assertThat(budget.getSpentMicros()).isZero();
  }

  @Test
  void leaseBudget_grants_countsInTheBudget_andReturnLeaseIsIdempotent() {
    var org = organization("Leases", 1_000);

    var grant =
        call()
            .leaseBudget(
                LeaseBudgetRequest.newBuilder()
                    .setOrganization(org)
                    .setLeaseId("lease-grpc-1")
                    .setHolder("gateway-0")
                    .setRequestedMicros(600)
                    .build());

    assertThat(grant.getUnlimited()).isFalse();
    assertThat(grant.getGrantedMicros()).isEqualTo(600);
    assertThat(grant.getRemainingMicros()).isEqualTo(400);
    assertThat(grant.getExpiresAtMs()).isEqualTo(CLOCK.millis() + Stack.LEASE_TTL.toMillis());
    var budget = call().getBudget(GetBudgetRequest.newBuilder().setOrganization(org).build());
    assertThat(budget.getReservedMicros()).isEqualTo(600);
    var back =
        ReturnLeaseRequest.newBuilder().setLeaseId("lease-grpc-1").setOrganization(org).build();
    assertThat(call().returnLease(back).getReturnedMicros()).isEqualTo(600);
    assertThat(call().returnLease(back).getReturnedMicros()).isZero();
    assertThatThrownBy(
            () ->
                call()
                    .returnLease(
                        ReturnLeaseRequest.newBuilder()
                            .setLeaseId("lease-unknown")
                            .setOrganization(org)
                            .build()))
        .satisfies(
            e -> {
              var error = GrpcErrors.parse(e);
              assertThat(error.code()).isEqualTo(Status.Code.NOT_FOUND);
              assertThat(error.reason()).isEqualTo("lease_not_found");
            });

    var unlimited =
        call()
            .leaseBudget(
                LeaseBudgetRequest.newBuilder()
                    .setOrganization(organization("Unlimited", 0))
                    .setLeaseId("lease-grpc-u")
                    .setHolder("gateway-0")
                    .setRequestedMicros(600)
                    .build());
    assertThat(unlimited.getUnlimited()).isTrue();
    assertThat(unlimited.getRemainingMicros()).isEqualTo(-1);
  }

  @Test
  void leaseBudget_boundsEveryInput() {
    var org = organization("LeaseBounds", 1_000);
    var ok =
        LeaseBudgetRequest.newBuilder()
            .setOrganization(org)
            .setLeaseId("lease-b")
            .setHolder("gateway-0")
            .setRequestedMicros(10);
    assertInvalid(
        () -> call().leaseBudget(ok.clone().setRequestedMicros(0).build()), "requested_micros");
    assertInvalid(
        () -> call().leaseBudget(ok.clone().setRequestedMicros(Long.MAX_VALUE).build()),
        "requested_micros");
    assertInvalid(
        () -> call().leaseBudget(ok.clone().setLeaseId("l".repeat(65)).build()), "lease_id");
    assertInvalid(() -> call().leaseBudget(ok.clone().setLeaseId("").build()), "lease_id");
    assertInvalid(() -> call().leaseBudget(ok.clone().setHolder("h".repeat(65)).build()), "holder");
    assertInvalid(() -> call().leaseBudget(ok.clone().setOrganization("").build()), "organization");
    assertThatThrownBy(() -> call().leaseBudget(ok.clone().setOrganization("org-missing").build()))
        .satisfies(
            e -> assertThat(GrpcErrors.parse(e).reason()).isEqualTo("organization_not_found"));
    assertInvalid(
        () -> call().returnLease(ReturnLeaseRequest.newBuilder().setOrganization(org).build()),
        "lease_id");
  }

  @Test
  void getPrices_returnsTheConfiguredTable() {
    var prices = call().getPrices(GetPricesRequest.getDefaultInstance());

    assertThat(prices.getPricesList())
        .extracting(
            p -> p.getModel() + "=" + p.getPromptPerMillion() + "/" + p.getCompletionPerMillion())
        .containsExactly("free=0/0", "m=1000000/2000000");
    assertThat(prices.getDefaultPrice().getModel()).isEmpty();
    assertThat(prices.getDefaultPrice().getPromptPerMillion()).isEqualTo(1_000_000);
    assertThat(prices.getDefaultPrice().getCompletionPerMillion()).isEqualTo(1_000_000);
  }
}
