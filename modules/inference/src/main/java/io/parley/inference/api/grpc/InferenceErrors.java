package io.parley.inference.api.grpc;

import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.Failure;
import io.parley.common.grpc.GrpcErrors;
import io.parley.inference.domain.ContextLengthExceededException;
import io.parley.inference.domain.EngineOverloadedException;
import io.parley.inference.domain.InferenceException;
import io.parley.inference.domain.InvalidGenerationRequestException;
import io.parley.inference.domain.ModelNotFoundException;
import io.parley.inference.domain.ModelRegistryUnavailableException;
import java.util.Optional;

/** The one mapping from the inference error family to gRPC statuses with an ErrorInfo. */
final class InferenceErrors {

  private static final System.Logger LOG = System.getLogger(InferenceErrors.class.getName());

  private InferenceErrors() {}

  /** The status a failed call ends with. */
  static StatusRuntimeException toStatus(InferenceException error) {
    return switch (error) {
      case ModelNotFoundException e ->
          GrpcErrors.toException(Failure.NOT_FOUND, "model_not_found", e.getMessage(), e.param());
      case ContextLengthExceededException e ->
          GrpcErrors.toException(
              Failure.INVALID, "context_length_exceeded", e.getMessage(), e.param());
      case InvalidGenerationRequestException e ->
          GrpcErrors.toException(Failure.INVALID, "invalid_value", e.getMessage(), e.param());
      case EngineOverloadedException e ->
          GrpcErrors.toException(
              Failure.OVERLOADED, "engine_overloaded", e.getMessage(), e.param());
      case ModelRegistryUnavailableException e ->
          GrpcErrors.toException(
              Failure.UNAVAILABLE, "service_unavailable", e.getMessage(), e.param());
      default -> {
        LOG.log(System.Logger.Level.ERROR, "Engine failure", error);
        yield GrpcErrors.toException(
            Failure.INTERNAL,
            "server_error",
            "The engine failed while processing the request.",
            Optional.empty());
      }
    };
  }

  /** A request the server cannot use, naming the field at fault. */
  static StatusRuntimeException invalid(String message, String param) {
    return toStatus(new InvalidGenerationRequestException(message, param));
  }
}
