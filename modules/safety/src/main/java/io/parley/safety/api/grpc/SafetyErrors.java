package io.parley.safety.api.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.GrpcErrors;
import io.parley.safety.domain.ClassifierOverloadedException;
import io.parley.safety.domain.InvalidSafetyRequestException;
import io.parley.safety.domain.ModelNotFoundException;
import io.parley.safety.domain.SafetyException;
import java.util.HashMap;

/** The one mapping from the safety error family to gRPC statuses with an ErrorInfo. */
final class SafetyErrors {

  private static final System.Logger LOG = System.getLogger(SafetyErrors.class.getName());

  private SafetyErrors() {}

  /** The status a failed call ends with. */
  static StatusRuntimeException toStatus(SafetyException error) {
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
      case InvalidSafetyRequestException e -> {
        code = Status.Code.INVALID_ARGUMENT;
        metadata.put(GrpcErrors.TYPE, "invalid_request_error");
      }
      case ClassifierOverloadedException e -> {
        code = Status.Code.RESOURCE_EXHAUSTED;
        metadata.put(GrpcErrors.TYPE, "server_error");
      }
      default -> {
        LOG.log(System.Logger.Level.ERROR, "Moderation failure", error);
        code = Status.Code.INTERNAL;
        reason = "server_error";
        message = "The classifier failed while processing the request.";
        metadata.put(GrpcErrors.TYPE, "server_error");
      }
    }
    return GrpcErrors.toException(code, reason, message, metadata);
  }
}
