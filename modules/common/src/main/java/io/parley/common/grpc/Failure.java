package io.parley.common.grpc;

import io.grpc.Status;

/**
 * What kind of failure a service error is. It decides the gRPC status code and the OpenAI error
 * type the gateway shows; the reason (the OpenAI error code) and the message come from the error.
 */
public enum Failure {
  /** The named model or resource does not exist. */
  NOT_FOUND(Status.Code.NOT_FOUND, "invalid_request_error"),
  /** The request is invalid; the error names the field at fault. */
  INVALID(Status.Code.INVALID_ARGUMENT, "invalid_request_error"),
  /** The service is too busy to take the request now; retry later. */
  OVERLOADED(Status.Code.RESOURCE_EXHAUSTED, "server_error"),
  /**
   * A service this one depends on cannot be asked now (the service itself answered); retry later.
   * The ErrorInfo reason is {@code service_unavailable}, which tells it from a service that cannot
   * be reached at all (UNAVAILABLE without ErrorInfo).
   */
  UNAVAILABLE(Status.Code.UNAVAILABLE, "server_error"),
  /** The service itself failed. */
  INTERNAL(Status.Code.INTERNAL, "server_error");

  private final Status.Code code;
  private final String type;

  Failure(Status.Code code, String type) {
    this.code = code;
    this.type = type;
  }

  /** The gRPC status code. */
  public Status.Code code() {
    return code;
  }

  /** The OpenAI error type. */
  public String type() {
    return type;
  }
}
