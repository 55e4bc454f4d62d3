package io.parley.embeddings.api.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.parley.common.v1.TokenUsage;
import io.parley.embeddings.application.EmbedUseCase;
import io.parley.embeddings.application.ModelRegistry;
import io.parley.embeddings.domain.EmbeddingInput;
import io.parley.embeddings.domain.EmbeddingRequest;
import io.parley.embeddings.domain.EmbeddingResult;
import io.parley.embeddings.domain.EmbeddingsException;
import io.parley.embeddings.domain.EngineFailureException;
import io.parley.embeddings.domain.ModelInfo;
import io.parley.embeddings.v1.EmbedRequest;
import io.parley.embeddings.v1.EmbedResponse;
import io.parley.embeddings.v1.Embedding;
import io.parley.embeddings.v1.EmbeddingModel;
import io.parley.embeddings.v1.EmbeddingsServiceGrpc;
import io.parley.embeddings.v1.ListModelsRequest;
import io.parley.embeddings.v1.ListModelsResponse;
import java.util.ArrayList;
import java.util.OptionalInt;
import java.util.concurrent.CompletionException;

/** The gRPC edge of the embeddings service: maps messages to the embed use case and back. */
public final class EmbeddingsGrpcService extends EmbeddingsServiceGrpc.EmbeddingsServiceImplBase {

  private final ModelRegistry registry;
  private final EmbedUseCase embed;

  public EmbeddingsGrpcService(ModelRegistry registry, EmbedUseCase embed) {
    this.registry = registry;
    this.embed = embed;
  }

  @Override
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> observer) {
    var response = ListModelsResponse.newBuilder();
    for (var info : registry.list()) {
      response.addModels(model(info));
    }
    observer.onNext(response.build());
    observer.onCompleted();
  }

  @Override
  public void embed(EmbedRequest request, StreamObserver<EmbedResponse> observer) {
    var call = (ServerCallStreamObserver<EmbedResponse>) observer;
    try {
      var inputs = new ArrayList<EmbeddingInput>(request.getInputsCount());
      for (int i = 0; i < request.getInputsCount(); i++) {
        var input = request.getInputs(i);
        inputs.add(
            switch (input.getKindCase()) {
              case TEXT -> new EmbeddingInput.Text(input.getText());
              case TOKENS ->
                  new EmbeddingInput.Tokens(
                      input.getTokens().getIdsList().stream()
                          .mapToInt(Integer::intValue)
                          .toArray());
              case KIND_NOT_SET ->
                  throw EmbeddingsErrors.invalid("input[" + i + "] is not set.", "input");
            });
      }
      var dimensions =
          request.hasDimensions() ? OptionalInt.of(request.getDimensions()) : OptionalInt.empty();
      var result = embed.embed(request.getModel(), new EmbeddingRequest(inputs, dimensions));
      call.setOnCancelHandler(() -> result.cancel(false));
      result.whenComplete(
          (embeddings, failure) -> {
            if (call.isCancelled()) {
              return;
            }
            if (failure == null) {
              call.onNext(response(embeddings));
              call.onCompleted();
            } else {
              call.onError(EmbeddingsErrors.toStatus(family(failure)));
            }
          });
    } catch (EmbeddingsException e) {
      call.onError(EmbeddingsErrors.toStatus(e));
    } catch (io.grpc.StatusRuntimeException e) {
      call.onError(e);
    }
  }

  private static EmbeddingsException family(Throwable failure) {
    var cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    return cause instanceof EmbeddingsException e
        ? e
        : new EngineFailureException("Embedding failed", cause);
  }

  private static EmbedResponse response(EmbeddingResult result) {
    var response = EmbedResponse.newBuilder();
    var vectors = result.vectors();
    for (int i = 0; i < vectors.size(); i++) {
      var embedding = Embedding.newBuilder().setIndex(i);
      for (float v : vectors.get(i)) {
        embedding.addValues(v);
      }
      response.addEmbeddings(embedding);
    }
    response.setUsage(
        TokenUsage.newBuilder()
            .setPromptTokens(result.promptTokens())
            .setTotalTokens(result.promptTokens()));
    return response.build();
  }

  private static EmbeddingModel model(ModelInfo info) {
    return EmbeddingModel.newBuilder()
        .setId(info.id())
        .setOwnedBy(info.ownedBy())
        .setCreated(info.created())
        .setDimensions(info.dimensions())
        .setSupportsDimensions(info.supportsDimensions())
        .setMaxInputTokens(info.maxInputTokens())
        .build();
  }
}
