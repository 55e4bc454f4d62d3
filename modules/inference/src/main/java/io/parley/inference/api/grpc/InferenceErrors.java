package io.parley.inference.api.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.GrpcErrors;
import io.parley.inference.domain.ContextLengthExceededException;
import io.parley.inference.domain.EngineOverloadedException;
import io.parley.inference.domain.InferenceException;
import io.parley.inference.domain.InvalidGenerationRequestException;
import io.parley.inference.domain.ModelNotFoundException;
import java.util.HashMap;

/** The one mapping from the inference error family to gRPC statuses with an ErrorInfo. */
final class InferenceErrors {

  private static final System.Logger LOG = System.getLogger(InferenceErrors.class.getName());

  private InferenceErrors() {}

  /** The status a failed call ends with. */
  static StatusRuntimeException toStatus(InferenceException error) {
    var metadata = new HashMap<String, String>();
    error.param().ifPresent(p -> metadata.put(GrpcErrors.PARAM, p));
    Status.Code code;
    String reason;
    String message = error.getMessage();
    switch (error) {
      case ModelNotFoundException e -> {
        code = Status.Code.NOT_FOUND;
        reason = "model_not_found";
        metadata.put(GrpcErrors.TYPE, "invalid_request_error");
      }
      case ContextLengthExceededException e -> {
        code = Status.Code.INVALID_ARGUMENT;
        reason = "context_length_exceeded";
        metadata.put(GrpcErrors.TYPE, "invalid_request_error");
      }
      case InvalidGenerationRequestException e -> {
        code = Status.Code.INVALID_ARGUMENT;
        reason = "invalid_value";
        metadata.put(GrpcErrors.TYPE, "invalid_request_error");
      }
      case EngineOverloadedException e -> {
        code = Status.Code.RESOURCE_EXHAUSTED;
        reason = "engine_overloaded";
        metadata.put(GrpcErrors.TYPE, "server_error");
      }
      default -> {
        LOG.log(System.Logger.Level.ERROR, "Engine failure", error);
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
    var metadata = new HashMap<String, String>();
    metadata.put(GrpcErrors.PARAM, param);
    metadata.put(GrpcErrors.TYPE, "invalid_request_error");
    return GrpcErrors.toException(Status.Code.INVALID_ARGUMENT, "invalid_value", message, metadata);
  }
}
