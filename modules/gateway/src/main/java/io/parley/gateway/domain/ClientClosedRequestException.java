package io.parley.gateway.domain;

/**
 * The client closed the connection before it sent the whole request body (HTTP 400, {@code
 * client_closed_request}). Nobody reads the answer; it is raised so the request ends quietly, not
 * as a server failure.
 */
public class ClientClosedRequestException extends GatewayException {

  public ClientClosedRequestException() {
    super(
        400,
        INVALID_REQUEST,
        "client_closed_request",
        null,
        "The request body was cut short: the client closed the connection.");
  }
}
