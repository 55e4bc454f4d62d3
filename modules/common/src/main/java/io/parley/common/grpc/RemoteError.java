package io.parley.common.grpc;

import io.grpc.Status;
import java.util.Map;
import java.util.Optional;

/**
 * A failed gRPC call as the caller sees it: the status code and the {@code google.rpc.ErrorInfo}
 * the server attached.
 *
 * @param code gRPC status code
 * @param reason ErrorInfo reason, the OpenAI error code (for example {@code model_not_found});
 *     empty when the server attached none
 * @param message human-readable message, safe to show to API users
 * @param metadata ErrorInfo metadata ({@code param}, {@code type}, …)
 */
public record RemoteError(
    Status.Code code, String reason, String message, Map<String, String> metadata) {

  public RemoteError {
    metadata = Map.copyOf(metadata);
  }

  /** The request field at fault, when the server named one. */
  public Optional<String> param() {
    return Optional.ofNullable(metadata.get(GrpcErrors.PARAM));
  }

  /** The OpenAI error type, when the server named one. */
  public Optional<String> type() {
    return Optional.ofNullable(metadata.get(GrpcErrors.TYPE));
  }
}
