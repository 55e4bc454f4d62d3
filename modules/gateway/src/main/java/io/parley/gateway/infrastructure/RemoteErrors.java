package io.parley.gateway.infrastructure;

import io.parley.common.grpc.RemoteError;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.gateway.domain.ModelNotFoundException;
import io.parley.gateway.domain.OverloadedException;
import io.parley.gateway.domain.ServerErrorException;
import io.parley.gateway.domain.ServiceUnavailableException;
import java.util.Map;

/**
 * The one mapping from a failed call to a Parley service ({@link RemoteError}: status code +
 * ErrorInfo reason and metadata) to the gateway's error family.
 */
public final class RemoteErrors {

  /** ErrorInfo reason of a service that answered that a service it depends on is unavailable. */
  static final String SERVICE_UNAVAILABLE = "service_unavailable";

  private RemoteErrors() {}

  /**
   * @param error the failure as read by {@code GrpcErrors.parse}
   * @param model the model the request named (for the not-found message)
   * @param retryAfterSeconds {@code retry-after} of transient failures
   */
  public static GatewayException toGatewayException(
      RemoteError error, String model, int retryAfterSeconds) {
    String reason = error.reason().isEmpty() ? null : error.reason();
    String param = error.param().orElse(null);
    return switch (error.code()) {
      case NOT_FOUND ->
          "model_not_found".equals(reason) || reason == null
              ? new ModelNotFoundException(model)
              : new GatewayException(
                  404,
                  error.type().orElse(GatewayException.INVALID_REQUEST),
                  reason,
                  param,
                  error.message());
      case INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION -> {
        String type = error.type().orElse(GatewayException.INVALID_REQUEST);
        String message = error.message().isEmpty() ? "Invalid request." : error.message();
        yield GatewayException.INVALID_REQUEST.equals(type)
            ? new InvalidRequestException(message, param, reason)
            : new GatewayException(400, type, reason, param, message);
      }
      case RESOURCE_EXHAUSTED -> OverloadedException.engine(retryAfterSeconds);
      case UNAVAILABLE, CANCELLED ->
          SERVICE_UNAVAILABLE.equals(reason)
              // the service answered: one it depends on (the fine-tuned model registry) did not.
              // Not a ServiceUnavailableException: neither retried nor counted against inference.
              ? new GatewayException(
                  503,
                  GatewayException.SERVER_ERROR,
                  SERVICE_UNAVAILABLE,
                  null,
                  error.message().isEmpty()
                      ? "A service is unavailable. Please retry shortly."
                      : error.message(),
                  Map.of("retry-after", Integer.toString(retryAfterSeconds)))
              : ServiceUnavailableException.inference(retryAfterSeconds);
      case DEADLINE_EXCEEDED -> ServiceUnavailableException.timeout(retryAfterSeconds);
      default ->
          new ServerErrorException(
              "inference failed: " + error.code() + " " + reason + ": " + error.message());
    };
  }
}
