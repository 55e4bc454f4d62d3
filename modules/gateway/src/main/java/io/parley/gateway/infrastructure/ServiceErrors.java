package io.parley.gateway.infrastructure;

import io.parley.common.grpc.RemoteError;
import io.parley.gateway.domain.BackendUnavailableException;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.ServerErrorException;

/**
 * Maps a failed call to the embeddings or safety service to the gateway's error family: what the
 * client did wrong (not found, invalid argument with its {@code param}, overload, deadline) reads
 * as {@link RemoteErrors} maps it for inference; an unreachable service is named in its 503.
 */
public final class ServiceErrors {

  private ServiceErrors() {}

  /**
   * @param service the service called ({@code "embeddings"}, {@code "safety"})
   * @param error the failure as read by {@code GrpcErrors.parse}
   * @param model the model the request named (for the not-found message)
   * @param retryAfterSeconds {@code retry-after} of transient failures
   */
  public static GatewayException toGatewayException(
      String service, RemoteError error, String model, int retryAfterSeconds) {
    return switch (error.code()) {
      case UNAVAILABLE, CANCELLED -> BackendUnavailableException.of(service, retryAfterSeconds);
      case NOT_FOUND,
          INVALID_ARGUMENT,
          OUT_OF_RANGE,
          FAILED_PRECONDITION,
          RESOURCE_EXHAUSTED,
          DEADLINE_EXCEEDED ->
          RemoteErrors.toGatewayException(error, model, retryAfterSeconds);
      default ->
          new ServerErrorException(
              service
                  + " failed: "
                  + error.code()
                  + " "
                  + (error.reason().isEmpty() ? "-" : error.reason())
                  + ": "
                  + error.message());
    };
  }
}
