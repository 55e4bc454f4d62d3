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
import io.parley.usage.v1.Limits;
import io.parley.usage.v1.ReleaseRequest;
import io.parley.usage.v1.ReleaseResponse;
import io.parley.usage.v1.ReservationState;
import io.parley.usage.v1.ReserveRequest;
import io.parley.usage.v1.ReserveResponse;
import io.parley.usage.v1.Role;
import io.parley.usage.v1.SettleRequest;
import io.parley.usage.v1.SettleResponse;
import io.parley.usage.v1.UsageServiceGrpc;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A usage service for tests, served in-process: keys in a map (key → organization, role), one
 * organization {@code org-b} the reader may also use; Reserve refuses the organization {@code
 * org-broke}; Settle fails with UNAVAILABLE the first {@link #failSettles} times.
 */
public final class ScriptedUsage extends UsageServiceGrpc.UsageServiceImplBase
    implements AutoCloseable {

  public static final String OWNER_KEY = "sk-parley-owner-0000000000000000";
  public static final String READER_KEY = "sk-parley-reader-000000000000000";
  public static final String BROKE_KEY = "sk-parley-broke-0000000000000000";

  public final List<AuthenticateRequest> authentications = new CopyOnWriteArrayList<>();
  public final List<ReserveRequest> reservations = new CopyOnWriteArrayList<>();
  public final List<SettleRequest> settles = new CopyOnWriteArrayList<>();
  public final List<ReleaseRequest> releases = new CopyOnWriteArrayList<>();
  public final AtomicInteger failSettles = new AtomicInteger();
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
  }

  /** A client of this service. */
  public UsageClient client() {
    return new UsageClient(channel, Optional.of("in-process"), 5_000, 1);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Override
  public void authenticate(
      AuthenticateRequest request, StreamObserver<AuthenticateResponse> response) {
    authentications.add(request);
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
    response.onNext(
        GetLimitsResponse.newBuilder()
            .setLimits(limits.getOrDefault(request.getOrganization(), Limits.getDefaultInstance()))
            .build());
    response.onCompleted();
  }

  @Override
  public void reserve(ReserveRequest request, StreamObserver<ReserveResponse> response) {
    if (request.getOrganization().equals("org-broke")) {
      response.onError(
          GrpcErrors.toException(
              Status.Code.RESOURCE_EXHAUSTED, "insufficient_quota", "over budget", Map.of()));
      return;
    }
    reservations.add(request);
    response.onNext(
        ReserveResponse.newBuilder().setState(ReservationState.RESERVATION_STATE_RESERVED).build());
    response.onCompleted();
  }

  @Override
  public void settle(SettleRequest request, StreamObserver<SettleResponse> response) {
    if (failSettles.getAndDecrement() > 0) {
      response.onError(Status.UNAVAILABLE.withDescription("down").asRuntimeException());
      return;
    }
    settles.add(request);
    response.onNext(
        SettleResponse.newBuilder().setState(ReservationState.RESERVATION_STATE_SETTLED).build());
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

  @Override
  public void release(ReleaseRequest request, StreamObserver<ReleaseResponse> response) {
    releases.add(request);
    response.onNext(
        ReleaseResponse.newBuilder().setState(ReservationState.RESERVATION_STATE_RELEASED).build());
    response.onCompleted();
  }
}
