package io.parley.gateway.infrastructure;

import io.parley.common.grpc.GrpcErrors;
import io.parley.common.grpc.RemoteError;
import io.parley.gateway.domain.AuthenticationException;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.gateway.domain.PermissionDeniedException;
import io.parley.gateway.domain.QuotaExceededException;
import io.parley.gateway.domain.ServerErrorException;
import io.parley.gateway.domain.ServiceUnavailableException;

/** Maps a failed call to the usage service to the gateway's error family. */
final class UsageErrors {

  private UsageErrors() {}

  /**
   * @param error the failure as read by {@code GrpcErrors.parse}
   * @param apiKey the key presented, for the (masked) invalid-key message; empty when not known
   * @param retryAfterSeconds {@code retry-after} of transient failures
   */
  static GatewayException toGatewayException(
      RemoteError error, String apiKey, int retryAfterSeconds) {
    String reason = error.reason().isEmpty() ? null : error.reason();
    String param = error.param().orElse(null);
    String message = error.message().isEmpty() ? "Invalid request." : error.message();
    if (GrpcErrors.isCallerRefusal(error)) {
      // The usage service refused the gateway itself (its certificate): not the API user's fault.
      return new ServerErrorException("usage refused the gateway's identity: " + reason);
    }
    return switch (error.code()) {
      case UNAUTHENTICATED -> AuthenticationException.incorrectKey(apiKey);
      case PERMISSION_DENIED ->
          "mismatched_organization".equals(reason)
              ? AuthenticationException.mismatchedOrganization()
              : new PermissionDeniedException(message);
      case RESOURCE_EXHAUSTED ->
          "insufficient_quota".equals(reason) || reason == null
              ? new QuotaExceededException()
              : new GatewayException(429, "requests", reason, param, message);
      case NOT_FOUND ->
          new GatewayException(404, GatewayException.INVALID_REQUEST, reason, param, message);
      case ALREADY_EXISTS ->
          new GatewayException(409, GatewayException.INVALID_REQUEST, reason, param, message);
      case INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION ->
          new InvalidRequestException(message, param, reason);
      case UNAVAILABLE, CANCELLED -> ServiceUnavailableException.usage(retryAfterSeconds);
      case DEADLINE_EXCEEDED -> ServiceUnavailableException.timeout(retryAfterSeconds);
      default ->
          new ServerErrorException(
              "usage failed: " + error.code() + " " + reason + ": " + error.message());
    };
  }
}
