package io.parley.embeddings.api.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.GrpcErrors;
import io.parley.embeddings.domain.ContextLengthExceededException;
import io.parley.embeddings.domain.EmbeddingsException;
import io.parley.embeddings.domain.EngineOverloadedException;
import io.parley.embeddings.domain.InvalidEmbeddingRequestException;
import io.parley.embeddings.domain.ModelNotFoundException;
import java.util.HashMap;

/** The one mapping from the embeddings error family to gRPC statuses with an ErrorInfo. */
final class EmbeddingsErrors {

  private static final System.Logger LOG = System.getLogger(EmbeddingsErrors.class.getName());

  private EmbeddingsErrors() {}

  /** The status a failed call ends with. */
  static StatusRuntimeException toStatus(EmbeddingsException error) {
    var metadata = new HashMap<String, String>();
    error.param().ifPresent(p -> metadata.put(GrpcErrors.PARAM, p));
    Status.Code code;
    String reason = error.reason();
    String message = error.getMessage();
    switch (error) {
      case ModelNotFoundException e -> {
        code = Status.Code.NOT_FOUND;
        metadata.put(GrpcErrors.TYPE, "invalid_request_error");
      }
      case ContextLengthExceededException e -> {
        code = Status.Code.INVALID_ARGUMENT;
        metadata.put(GrpcErrors.TYPE, "invalid_request_error");
      }
      case InvalidEmbeddingRequestException e -> {
        code = Status.Code.INVALID_ARGUMENT;
        metadata.put(GrpcErrors.TYPE, "invalid_request_error");
      }
      case EngineOverloadedException e -> {
        code = Status.Code.RESOURCE_EXHAUSTED;
        metadata.put(GrpcErrors.TYPE, "server_error");
      }
      default -> {
        LOG.log(System.Logger.Level.ERROR, "Embedding engine failure", error);
        code = Status.Code.INTERNAL;
        reason = "server_error";
        message = "The engine failed while processing the request.";
        metadata.put(GrpcErrors.TYPE, "server_error");
      }
    }
    return GrpcErrors.toException(code, reason, message, metadata);
  }

  /** A request the server cannot use, naming the field at fault. */
  static StatusRuntimeException invalid(String message, String param) {
    return toStatus(new InvalidEmbeddingRequestException(message, param));
  }
}
