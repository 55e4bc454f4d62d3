package io.parley.gateway.application;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.parley.common.grpc.GrpcErrors;
import io.parley.gateway.infrastructure.UsageClient;
import io.parley.usage.v1.AuthenticateRequest;
import io.parley.usage.v1.AuthenticateResponse;
import io.parley.usage.v1.GetLimitsRequest;
import io.parley.usage.v1.GetLimitsResponse;
import io.parley.usage.v1.GetPricesRequest;
import io.parley.usage.v1.GetPricesResponse;
import io.parley.usage.v1.LeaseBudgetRequest;
import io.parley.usage.v1.LeaseBudgetResponse;
import io.parley.usage.v1.Limits;
import io.parley.usage.v1.ModelPrice;
import io.parley.usage.v1.RecordResult;
import io.parley.usage.v1.RecordUsageRequest;
import io.parley.usage.v1.RecordUsageResponse;
import io.parley.usage.v1.ReturnLeaseRequest;
import io.parley.usage.v1.ReturnLeaseResponse;
import io.parley.usage.v1.Role;
import io.parley.usage.v1.UsageRecord;
import io.parley.usage.v1.UsageServiceGrpc;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A usage service for tests (a fake, never deployed), served in-process: keys in a map (key →
 * organization, role), one organization {@code org-b} the reader may also use; budgets with hard
 * limits from {@link #hardLimits} leased as the contract says; a ledger idempotent by request id
 * whose RecordUsage fails with UNAVAILABLE the first {@link #failRecords} times and while {@link
 * #down}.
 */
public final class ScriptedUsage extends UsageServiceGrpc.UsageServiceImplBase
    implements AutoCloseable {

  public static final String OWNER_KEY = "sk-parley-owner-0000000000000000";
  public static final String READER_KEY = "sk-parley-reader-000000000000000";
  public static final String BROKE_KEY = "sk-parley-broke-0000000000000000";

  public final List<AuthenticateRequest> authentications = new CopyOnWriteArrayList<>();

  /** Micro-dollars per million prompt tokens (1 per token). */
  public static final long PROMPT_PER_MILLION = 1_000_000;

  /** Micro-dollars per million completion tokens (2 per token). */
  public static final long COMPLETION_PER_MILLION = 2_000_000;

  /** Hard limits in micro-dollars; an organization not here has none. */
  public final Map<String, Long> hardLimits = new ConcurrentHashMap<>();

  /** While true, the budget and ledger calls (and Authenticate, GetLimits) fail UNAVAILABLE. */
  public final AtomicBoolean down = new AtomicBoolean();

  /** RecordUsage calls that fail UNAVAILABLE before one succeeds. */
  public final AtomicInteger failRecords = new AtomicInteger();

  /** The ledger: the first record of each request id. */
  public final Map<String, UsageRecord> ledger = new ConcurrentHashMap<>();

  /** Every record received, repeats included. */
  public final List<UsageRecord> received = new CopyOnWriteArrayList<>();

  public final List<LeaseBudgetRequest> leaseCalls = new CopyOnWriteArrayList<>();
  public final AtomicInteger leaseCallsInFlight = new AtomicInteger();
  public final AtomicInteger maxLeaseCallsInFlight = new AtomicInteger();
  public final List<String> returned = new CopyOnWriteArrayList<>();
  public final AtomicInteger priceCalls = new AtomicInteger();

  /** Expiry of the leases granted (milliseconds since the epoch). */
  public volatile long leaseExpiresAtMs = Long.MAX_VALUE / 2;

  /** How long each LeaseBudget call takes. */
  public volatile long leaseDelayMillis;

  /** Lease id → {granted, charged}. */
  private final Map<String, long[]> leases = new java.util.HashMap<>();

  private final Map<String, String> leaseOrganizations = new java.util.HashMap<>();
  private final Map<String, Long> directSpent = new java.util.HashMap<>();
  private final Map<String, Long> returnedSpent = new java.util.HashMap<>();
  public final Map<String, Limits> limits = new ConcurrentHashMap<>();
  public final Map<String, String> revoked = new ConcurrentHashMap<>();

  /** CreateOrganization requests received. */
  public final List<io.parley.usage.v1.CreateOrganizationRequest> organizationsCreated =
      new CopyOnWriteArrayList<>();

  /** Expiry (seconds since the epoch) reported for a key. */
  public final Map<String, Long> expiresAt = new ConcurrentHashMap<>();

  private final Server server;
  private final ManagedChannel channel;

  public ScriptedUsage() throws Exception {
    var name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(this).directExecutor().build().start();
    channel = InProcessChannelBuilder.forName(name).build();
    hardLimits.put("org-broke", 0L);
  }

  /** Budget settings of the tests: 0.10 USD chunks, 1 USD outage credit. */
  public static final BudgetLeases.Settings BUDGET =
      new BudgetLeases.Settings(
          100_000, 10, 60_000, 1_000, 30_000, 60_000, true, 1_000_000, 1, "test-replica");

  /** The outbox of the last {@link #metering}. */
  public volatile io.parley.gateway.infrastructure.JournalUsageOutbox outbox;

  private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();

  /**
   * Metering against this service: leased budgets and an outbox journal in {@code dir}, closed with
   * this service.
   */
  public Metering metering(java.nio.file.Path dir) {
    var journal =
        new io.parley.gateway.infrastructure.JournalUsageOutbox(
            client(),
            new io.parley.gateway.infrastructure.JournalUsageOutbox.Settings(
                dir, 1 << 20, 1L << 30, 50, 500, 10, 1),
            java.time.InstantSource.system(),
            java.util.concurrent.Executors.newScheduledThreadPool(2));
    journal.open();
    closeables.add(journal::close);
    outbox = journal;
    var leases =
        new BudgetLeases(
            client(), journal, BUDGET, System::nanoTime, System::currentTimeMillis, null);
    return new Metering(leases, journal);
  }

  /** A client of this service. */
  public UsageClient client() {
    return new UsageClient(channel, Optional.of("in-process"), 5_000, 1);
  }

  @Override
  public void close() {
    for (var closeable : closeables) {
      try {
        closeable.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Override
  public void authenticate(
      AuthenticateRequest request, StreamObserver<AuthenticateResponse> response) {
    authentications.add(request);
    if (down.get()) {
      response.onError(Status.UNAVAILABLE.withDescription("down").asRuntimeException());
      return;
    }
    String org;
    Role role;
    switch (request.getApiKey()) {
      case OWNER_KEY -> {
        org = "org-a";
        role = Role.ROLE_OWNER;
      }
      case READER_KEY -> {
        org = "org-a";
        role = Role.ROLE_READER;
      }
      case BROKE_KEY -> {
        org = "org-broke";
        role = Role.ROLE_OWNER;
      }
      default -> {
        response.onError(
            GrpcErrors.toException(
                Status.Code.UNAUTHENTICATED, "invalid_api_key", "Incorrect API key", Map.of()));
        return;
      }
    }
    if (revoked.containsKey(request.getApiKey())) {
      response.onError(
          GrpcErrors.toException(
              Status.Code.UNAUTHENTICATED, "invalid_api_key", "Incorrect API key", Map.of()));
      return;
    }
    var asked = request.getOrganization();
    if (!asked.isEmpty() && !asked.equals(org)) {
      if (asked.equals("org-b") && role == Role.ROLE_READER) {
        org = "org-b";
        role = Role.ROLE_OWNER;
      } else {
        response.onError(
            GrpcErrors.toException(
                Status.Code.PERMISSION_DENIED,
                "mismatched_organization",
                "not a member",
                Map.of()));
        return;
      }
    }
    response.onNext(
        AuthenticateResponse.newBuilder()
            .setOrganization(org)
            .setUser("user-" + role.name().toLowerCase())
            .setRole(role)
            .setApiKeyId("key-" + request.getApiKey().substring(10, 15))
            .setApiKeyExpiresAt(expiresAt.getOrDefault(request.getApiKey(), 0L))
            .build());
    response.onCompleted();
  }

  @Override
  public void getLimits(GetLimitsRequest request, StreamObserver<GetLimitsResponse> response) {
    if (down.get()) {
      response.onError(Status.UNAVAILABLE.withDescription("down").asRuntimeException());
      return;
    }
    response.onNext(
        GetLimitsResponse.newBuilder()
            .setLimits(limits.getOrDefault(request.getOrganization(), Limits.getDefaultInstance()))
            .build());
    response.onCompleted();
  }

  @Override
  public void createApiKey(
      io.parley.usage.v1.CreateApiKeyRequest request,
      StreamObserver<io.parley.usage.v1.CreateApiKeyResponse> response) {
    response.onNext(
        io.parley.usage.v1.CreateApiKeyResponse.newBuilder()
            .setApiKeyId("key-new")
            .setSecret("sk-parley-new-secret-0000000000000")
            .setApiKey(
                io.parley.usage.v1.ApiKey.newBuilder()
                    .setId("key-new")
                    .setName(request.getName())
                    .setRedactedValue("sk-pa…0000")
                    .setOrganization(request.getOrganization())
                    .setUser(request.getUser())
                    .setCreatedAt(1_700_000_000L))
            .build());
    response.onCompleted();
  }

  @Override
  public void createOrganization(
      io.parley.usage.v1.CreateOrganizationRequest request,
      StreamObserver<io.parley.usage.v1.CreateOrganizationResponse> response) {
    organizationsCreated.add(request);
    response.onNext(
        io.parley.usage.v1.CreateOrganizationResponse.newBuilder()
            .setOrganization("org-new")
            .setOwnerUser(request.getOwnerUser())
            .build());
    response.onCompleted();
  }

  @Override
  public void revokeApiKey(
      io.parley.usage.v1.RevokeApiKeyRequest request,
      StreamObserver<io.parley.usage.v1.RevokeApiKeyResponse> response) {
    response.onNext(io.parley.usage.v1.RevokeApiKeyResponse.newBuilder().setRevoked(true).build());
    response.onCompleted();
  }

  /** Two buckets: the first with one row per model, the second empty. */
  @Override
  public void queryUsage(
      io.parley.usage.v1.QueryUsageRequest request,
      StreamObserver<io.parley.usage.v1.QueryUsageResponse> response) {
    var out = io.parley.usage.v1.QueryUsageResponse.newBuilder();
    for (var model : List.of("stories", "slow")) {
      out.addResults(
          io.parley.usage.v1.UsageResult.newBuilder()
              .setStartTime(request.getStartTime())
              .setEndTime(request.getStartTime() + 86_400)
              .putGroup("model", model)
              .setTokens(
                  io.parley.common.v1.TokenUsage.newBuilder()
                      .setPromptTokens(10)
                      .setCompletionTokens(20)
                      .setTotalTokens(30))
              .setNumModelRequests(2));
    }
    out.addResults(
        io.parley.usage.v1.UsageResult.newBuilder()
            .setStartTime(request.getStartTime() + 86_400)
            .setEndTime(request.getStartTime() + 2 * 86_400));
    response.onNext(out.build());
    response.onCompleted();
  }

  // The budget and the ledger: hard limits per organization (none: unlimited), leases, records.

  @Override
  public void leaseBudget(
      LeaseBudgetRequest request, StreamObserver<LeaseBudgetResponse> response) {
    int now = leaseCallsInFlight.incrementAndGet();
    maxLeaseCallsInFlight.accumulateAndGet(now, Math::max);
    try {
      leaseCalls.add(request);
      if (leaseDelayMillis > 0) {
        Thread.sleep(leaseDelayMillis);
      }
      if (down.get()) {
        response.onError(Status.UNAVAILABLE.withDescription("down").asRuntimeException());
        return;
      }
      var limit = hardLimits.get(request.getOrganization());
      if (limit == null) {
        response.onNext(
            LeaseBudgetResponse.newBuilder().setUnlimited(true).setRemainingMicros(-1).build());
        response.onCompleted();
        return;
      }
      long granted;
      synchronized (this) {
        var existing = leases.get(request.getLeaseId());
        if (existing != null) {
          granted = existing[0];
        } else {
          long free = limit - spent(request.getOrganization()) - held(request.getOrganization());
          granted = Math.max(0, Math.min(request.getRequestedMicros(), free));
          leases.put(request.getLeaseId(), new long[] {granted, 0});
          leaseOrganizations.put(request.getLeaseId(), request.getOrganization());
        }
      }
      response.onNext(
          LeaseBudgetResponse.newBuilder()
              .setGrantedMicros(granted)
              .setExpiresAtMs(leaseExpiresAtMs)
              .build());
      response.onCompleted();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      response.onError(Status.CANCELLED.asRuntimeException());
    } finally {
      leaseCallsInFlight.decrementAndGet();
    }
  }

  @Override
  public void returnLease(
      ReturnLeaseRequest request, StreamObserver<ReturnLeaseResponse> response) {
    long back;
    synchronized (this) {
      returned.add(request.getLeaseId());
      var lease = leases.remove(request.getLeaseId());
      back = lease == null ? 0 : Math.max(0, lease[0] - lease[1]);
      if (lease != null) {
        // What was charged against the lease stays spent.
        returnedSpent.merge(request.getOrganization(), lease[1], Long::sum);
      }
    }
    response.onNext(ReturnLeaseResponse.newBuilder().setReturnedMicros(back).build());
    response.onCompleted();
  }

  @Override
  public void getPrices(GetPricesRequest request, StreamObserver<GetPricesResponse> response) {
    priceCalls.incrementAndGet();
    if (down.get()) {
      response.onError(Status.UNAVAILABLE.withDescription("down").asRuntimeException());
      return;
    }
    response.onNext(
        GetPricesResponse.newBuilder()
            .setDefaultPrice(
                ModelPrice.newBuilder()
                    .setPromptPerMillion(PROMPT_PER_MILLION)
                    .setCompletionPerMillion(COMPLETION_PER_MILLION))
            .build());
    response.onCompleted();
  }

  @Override
  public void recordUsage(
      RecordUsageRequest request, StreamObserver<RecordUsageResponse> response) {
    if (down.get() || failRecords.getAndDecrement() > 0) {
      response.onError(Status.UNAVAILABLE.withDescription("down").asRuntimeException());
      return;
    }
    var out = RecordUsageResponse.newBuilder();
    synchronized (this) {
      for (var record : request.getRecordsList()) {
        received.add(record);
        boolean replayed = ledger.putIfAbsent(record.getRequestId(), record) != null;
        long cost = replayed ? 0 : cost(record.getUsage());
        if (!replayed && leases.containsKey(record.getLeaseId())) {
          leases.get(record.getLeaseId())[1] += cost;
        } else if (!replayed) {
          directSpent.merge(record.getOrganization(), cost, Long::sum);
        }
        out.addResults(
            RecordResult.newBuilder()
                .setRequestId(record.getRequestId())
                .setCostMicros(cost)
                .setReplayed(replayed));
      }
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  /** Micro-dollars the fake ledger charges for these tokens. */
  public static long cost(io.parley.common.v1.TokenUsage usage) {
    return Math.ceilDiv(
        usage.getPromptTokens() * PROMPT_PER_MILLION
            + usage.getCompletionTokens() * COMPLETION_PER_MILLION,
        1_000_000L);
  }

  private long spent(String organization) {
    long total = directSpent.getOrDefault(organization, 0L);
    total += returnedSpent.getOrDefault(organization, 0L);
    return total;
  }

  private long held(String organization) {
    long total = 0;
    for (var e : leases.entrySet()) {
      if (organization.equals(leaseOrganizations.get(e.getKey()))) {
        total += Math.max(e.getValue()[0], e.getValue()[1]);
      }
    }
    return total;
  }

  /** Records received for a request id, repeats included. */
  public long receipts(String requestId) {
    return received.stream().filter(r -> r.getRequestId().equals(requestId)).count();
  }
}
