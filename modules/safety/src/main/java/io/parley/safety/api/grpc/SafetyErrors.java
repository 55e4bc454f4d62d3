package io.parley.safety.api.grpc;

import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.Failure;
import io.parley.common.grpc.GrpcErrors;
import io.parley.safety.domain.ClassifierOverloadedException;
import io.parley.safety.domain.InvalidSafetyRequestException;
import io.parley.safety.domain.ModelNotFoundException;
import io.parley.safety.domain.SafetyException;

/** The one mapping from the safety error family to gRPC statuses with an ErrorInfo. */
final class SafetyErrors {

  private static final System.Logger LOG = System.getLogger(SafetyErrors.class.getName());

  private SafetyErrors() {}

  /** The status a failed call ends with. */
  static StatusRuntimeException toStatus(SafetyException error) {
    var failure =
        switch (error) {
          case ModelNotFoundException e -> Failure.NOT_FOUND;
          case InvalidSafetyRequestException e -> Failure.INVALID;
          case ClassifierOverloadedException e -> Failure.OVERLOADED;
          default -> Failure.INTERNAL;
        };
    if (failure == Failure.INTERNAL) {
      LOG.log(System.Logger.Level.ERROR, "Moderation failure", error);
      return GrpcErrors.toException(
          failure,
          error.reason(),
          "The classifier failed while processing the request.",
          error.param());
    }
    return GrpcErrors.toException(failure, error.reason(), error.getMessage(), error.param());
  }
}
