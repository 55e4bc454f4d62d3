package io.parley.gateway.domain;

/**
 * Something failed that the client cannot fix (HTTP 500, {@code server_error}). The client only
 * learns that and the request id; {@link #detail()} goes to the log.
 */
public class ServerErrorException extends GatewayException {

  /** The only message a client sees for a 500 (the request id is appended when it is answered). */
  public static final String MESSAGE = "The server had an error while processing your request.";

  private final String detail;

  /**
   * @param detail what went wrong, for the server log only
   */
  public ServerErrorException(String detail) {
    super(500, SERVER_ERROR, null, null, MESSAGE);
    this.detail = detail;
  }

  /** What went wrong, for the server log only. */
  public String detail() {
    return detail;
  }
}
