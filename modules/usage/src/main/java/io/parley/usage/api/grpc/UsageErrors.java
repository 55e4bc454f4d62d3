package io.parley.usage.api.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.GrpcErrors;
import io.parley.usage.domain.ConflictException;
import io.parley.usage.domain.ForbiddenException;
import io.parley.usage.domain.InsufficientQuotaException;
import io.parley.usage.domain.InvalidApiKeyException;
import io.parley.usage.domain.InvalidUsageRequestException;
import io.parley.usage.domain.MismatchedOrganizationException;
import io.parley.usage.domain.NotFoundException;
import io.parley.usage.domain.StoreException;
import io.parley.usage.domain.UsageException;
import java.util.HashMap;

/** The one mapping from the usage error family to gRPC statuses with an ErrorInfo. */
final class UsageErrors {

  private static final System.Logger LOG = System.getLogger(UsageErrors.class.getName());

  private UsageErrors() {}

  /** The status a failed call ends with. */
  static StatusRuntimeException toStatus(UsageException error) {
    var metadata = new HashMap<String, String>();
    error.param().ifPresent(p -> metadata.put(GrpcErrors.PARAM, p));
    String message = error.getMessage();
    Status.Code code =
        switch (error) {
          case InvalidApiKeyException e -> {
            metadata.put(GrpcErrors.TYPE, "invalid_request_error");
            yield Status.Code.UNAUTHENTICATED;
          }
          case MismatchedOrganizationException e -> {
            metadata.put(GrpcErrors.TYPE, "invalid_request_error");
            yield Status.Code.PERMISSION_DENIED;
          }
          case InsufficientQuotaException e -> {
            metadata.put(GrpcErrors.TYPE, "insufficient_quota");
            yield Status.Code.RESOURCE_EXHAUSTED;
          }
          case NotFoundException e -> {
            metadata.put(GrpcErrors.TYPE, "invalid_request_error");
            yield Status.Code.NOT_FOUND;
          }
          case InvalidUsageRequestException e -> {
            metadata.put(GrpcErrors.TYPE, "invalid_request_error");
            yield Status.Code.INVALID_ARGUMENT;
          }
          case ConflictException e -> {
            metadata.put(GrpcErrors.TYPE, "invalid_request_error");
            yield e.precondition() ? Status.Code.FAILED_PRECONDITION : Status.Code.ALREADY_EXISTS;
          }
          case ForbiddenException e -> {
            metadata.put(GrpcErrors.TYPE, "invalid_request_error");
            yield Status.Code.PERMISSION_DENIED;
          }
          case StoreException e -> {
            LOG.log(System.Logger.Level.ERROR, "Usage database failure", e);
            message = "The usage service could not reach its database.";
            metadata.put(GrpcErrors.TYPE, "server_error");
            yield Status.Code.UNAVAILABLE;
          }
        };
    return GrpcErrors.toException(code, error.reason(), message, metadata);
  }

  /** An unexpected failure: logged here, reported without detail. */
  static StatusRuntimeException internal(RuntimeException error) {
    LOG.log(System.Logger.Level.ERROR, "Usage service failure", error);
    var metadata = new HashMap<String, String>();
    metadata.put(GrpcErrors.TYPE, "server_error");
    return GrpcErrors.toException(
        Status.Code.INTERNAL, "server_error", "The usage service failed.", metadata);
  }
}
