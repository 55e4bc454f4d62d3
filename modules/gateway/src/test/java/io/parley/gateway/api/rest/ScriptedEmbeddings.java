package io.parley.gateway.api.rest;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.parley.common.grpc.GrpcErrors;
import io.parley.common.v1.TokenUsage;
import io.parley.embeddings.v1.EmbedRequest;
import io.parley.embeddings.v1.EmbedResponse;
import io.parley.embeddings.v1.EmbeddingModel;
import io.parley.embeddings.v1.EmbeddingsServiceGrpc;
import io.parley.embeddings.v1.ListModelsRequest;
import io.parley.embeddings.v1.ListModelsResponse;
import io.parley.gateway.infrastructure.EmbeddingsClient;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * An embeddings service for tests, served in-process. Models: {@code mini} (4 dimensions, fixed)
 * and {@code matryoshka} (4 dimensions, {@code dimensions} allowed). Input {@code i} embeds as
 * {@link #vector(int, int)}; a text input counts one token per character, a token input its ids. A
 * text starting with {@code "LONG"} exceeds the context; the model {@code down} answers
 * UNAVAILABLE; {@link #listFails} makes ListModels answer UNAVAILABLE.
 */
final class ScriptedEmbeddings extends EmbeddingsServiceGrpc.EmbeddingsServiceImplBase
    implements AutoCloseable {

  static final int DIMENSIONS = 4;

  final List<EmbedRequest> requests = new CopyOnWriteArrayList<>();
  final AtomicBoolean listFails = new AtomicBoolean();
  private final Server server;
  private final ManagedChannel channel;

  ScriptedEmbeddings() throws Exception {
    var name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(this).directExecutor().build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  /** A client of this service. */
  EmbeddingsClient client() {
    return new EmbeddingsClient(channel, Optional.of("in-process"), 5_000, 5_000, 1);
  }

  /** Awkward floats: exact binary fractions, long decimals, tiny and negative values. */
  static float[] vector(int index, int dimensions) {
    var values = new float[dimensions];
    for (int d = 0; d < dimensions; d++) {
      values[d] =
          switch (d % 4) {
            case 0 -> 0.5f + index;
            case 1 -> -1f / 3f;
            case 2 -> 1.0e-8f * (index + 1);
            default -> (float) Math.PI * -(index + 1);
          };
    }
    return values;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Override
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> response) {
    if (listFails.get()) {
      response.onError(Status.UNAVAILABLE.withDescription("loading").asRuntimeException());
      return;
    }
    response.onNext(
        ListModelsResponse.newBuilder()
            .addModels(model("mini", false))
            .addModels(model("matryoshka", true))
            .build());
    response.onCompleted();
  }

  @Override
  public void embed(EmbedRequest request, StreamObserver<EmbedResponse> response) {
    requests.add(request);
    switch (request.getModel()) {
      case "mini", "matryoshka" -> {}
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
    int dimensions = DIMENSIONS;
    if (request.hasDimensions()) {
      if (!request.getModel().equals("matryoshka")) {
        response.onError(
            invalid(
                "invalid_value",
                "This model does not support specifying dimensions.",
                "dimensions"));
        return;
      }
      dimensions = request.getDimensions();
    }
    var result = EmbedResponse.newBuilder();
    int tokens = 0;
    for (int i = 0; i < request.getInputsCount(); i++) {
      var input = request.getInputs(i);
      if (input.hasText() && input.getText().startsWith("LONG")) {
        response.onError(
            invalid(
                "context_length_exceeded",
                "This model's maximum context length is 256 tokens, however you requested 300"
                    + " tokens in input["
                    + i
                    + "]. Please reduce the length of the input.",
                "input"));
        return;
      }
      tokens += input.hasText() ? input.getText().length() : input.getTokens().getIdsCount();
      var embedding = result.addEmbeddingsBuilder().setIndex(i);
      for (float value : vector(i, dimensions)) {
        embedding.addValues(value);
      }
    }
    response.onNext(
        result
            .setUsage(TokenUsage.newBuilder().setPromptTokens(tokens).setTotalTokens(tokens))
            .build());
    response.onCompleted();
  }

  private static RuntimeException invalid(String reason, String message, String param) {
    return GrpcErrors.toException(
        Status.Code.INVALID_ARGUMENT,
        reason,
        message,
        Map.of(GrpcErrors.PARAM, param, GrpcErrors.TYPE, "invalid_request_error"));
  }

  private static EmbeddingModel model(String id, boolean dimensions) {
    return EmbeddingModel.newBuilder()
        .setId(id)
        .setOwnedBy("sentence-transformers")
        .setCreated(1_690_000_000L)
        .setDimensions(DIMENSIONS)
        .setSupportsDimensions(dimensions)
        .setMaxInputTokens(256)
        .build();
  }
}
