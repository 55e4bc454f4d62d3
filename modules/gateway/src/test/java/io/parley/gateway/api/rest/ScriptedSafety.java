package io.parley.gateway.api.rest;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.parley.common.grpc.GrpcErrors;
import io.parley.gateway.infrastructure.SafetyClient;
import io.parley.safety.v1.ModerateRequest;
import io.parley.safety.v1.ModerateResponse;
import io.parley.safety.v1.SafetyServiceGrpc;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A safety service for tests, served in-process. The default model is {@code parley-moderation};
 * any other name but {@code omni-moderation-latest} is not found and {@code down} answers
 * UNAVAILABLE. A text containing "kill" is flagged as violence (score 0.9). Categories are put in a
 * scrambled order, with one key ({@code "custom"}) unknown to OpenAI; the score of {@code
 * "self-harm"} is left out.
 */
final class ScriptedSafety extends SafetyServiceGrpc.SafetyServiceImplBase
    implements AutoCloseable {

  static final List<String> CATEGORIES =
      List.of("violence", "custom", "hate", "sexual", "self-harm", "harassment/threatening");

  final List<ModerateRequest> requests = new CopyOnWriteArrayList<>();
  private final Server server;
  private final ManagedChannel channel;

  ScriptedSafety() throws Exception {
    var name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(this).directExecutor().build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  /** A client of this service. */
  SafetyClient client() {
    return new SafetyClient(channel, Optional.of("in-process"), 5_000, 1);
  }

  /** Policies set through {@code SetPolicy}, by organization. */
  final java.util.Map<String, io.parley.safety.v1.Policy> policies =
      new java.util.concurrent.ConcurrentHashMap<>();

  @Override
  public void getPolicy(
      io.parley.safety.v1.GetPolicyRequest request,
      StreamObserver<io.parley.safety.v1.GetPolicyResponse> response) {
    response.onNext(
        io.parley.safety.v1.GetPolicyResponse.newBuilder()
            .setPolicy(
                policies.getOrDefault(
                    request.getOrganization(), io.parley.safety.v1.Policy.getDefaultInstance()))
            .build());
    response.onCompleted();
  }

  @Override
  public void setPolicy(
      io.parley.safety.v1.SetPolicyRequest request,
      StreamObserver<io.parley.safety.v1.SetPolicyResponse> response) {
    policies.put(request.getOrganization(), request.getPolicy());
    response.onNext(
        io.parley.safety.v1.SetPolicyResponse.newBuilder().setPolicy(request.getPolicy()).build());
    response.onCompleted();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Override
  public void moderate(ModerateRequest request, StreamObserver<ModerateResponse> response) {
    requests.add(request);
    String model;
    switch (request.getModel()) {
      case "" -> model = "parley-moderation";
      case "omni-moderation-latest" -> model = request.getModel();
      case "down" -> {
        response.onError(Status.UNAVAILABLE.withDescription("restarting").asRuntimeException());
        return;
      }
      default -> {
        response.onError(
            GrpcErrors.toException(
                Status.Code.NOT_FOUND,
                "model_not_found",
                "The model '" + request.getModel() + "' does not exist.",
                Map.of(GrpcErrors.PARAM, "model")));
        return;
      }
    }
    var result = ModerateResponse.newBuilder().setModel(model);
    for (var text : request.getInputsList()) {
      boolean violent = text.contains("kill");
      var one = result.addResultsBuilder().setFlagged(violent);
      for (var category : CATEGORIES) {
        boolean hit = violent && category.equals("violence");
        one.putCategories(category, hit);
        if (!category.equals("self-harm")) {
          one.putCategoryScores(category, hit ? 0.9 : 0.00125);
        }
      }
    }
    response.onNext(result.build());
    response.onCompleted();
  }
}
