package io.parley.embeddings.api.grpc;

import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.Failure;
import io.parley.common.grpc.GrpcErrors;
import io.parley.embeddings.domain.ContextLengthExceededException;
import io.parley.embeddings.domain.EmbeddingsException;
import io.parley.embeddings.domain.EngineOverloadedException;
import io.parley.embeddings.domain.InvalidEmbeddingRequestException;
import io.parley.embeddings.domain.ModelNotFoundException;

/** The one mapping from the embeddings error family to gRPC statuses with an ErrorInfo. */
final class EmbeddingsErrors {

  private static final System.Logger LOG = System.getLogger(EmbeddingsErrors.class.getName());

  private EmbeddingsErrors() {}

  /** The status a failed call ends with. */
  static StatusRuntimeException toStatus(EmbeddingsException error) {
    var failure =
        switch (error) {
          case ModelNotFoundException e -> Failure.NOT_FOUND;
          case ContextLengthExceededException e -> Failure.INVALID;
          case InvalidEmbeddingRequestException e -> Failure.INVALID;
          case EngineOverloadedException e -> Failure.OVERLOADED;
          default -> Failure.INTERNAL;
        };
    if (failure == Failure.INTERNAL) {
      LOG.log(System.Logger.Level.ERROR, "Embedding engine failure", error);
      return GrpcErrors.toException(
          failure,
          error.reason(),
          "The engine failed while processing the request.",
          error.param());
    }
    return GrpcErrors.toException(failure, error.reason(), error.getMessage(), error.param());
  }

  /** A request the server cannot use, naming the field at fault. */
  static StatusRuntimeException invalid(String message, String param) {
    return toStatus(new InvalidEmbeddingRequestException(message, param));
  }
}
