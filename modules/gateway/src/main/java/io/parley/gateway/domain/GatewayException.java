package io.parley.gateway.domain;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Root of the gateway's errors. Each one says exactly what the client gets: the HTTP status, the
 * OpenAI error {@code type}, {@code code} and {@code param}, a message safe to show, and extra
 * response headers (for example {@code retry-after}). The REST layer turns it into the OpenAI error
 * envelope in one place.
 */
public class GatewayException extends RuntimeException {

  /** Error type of client mistakes. */
  public static final String INVALID_REQUEST = "invalid_request_error";

  /** Error type of failures on the server side. */
  public static final String SERVER_ERROR = "server_error";

  private final int status;
  private final String type;
  private final String code;
  private final String param;
  private final Map<String, String> headers;

  /**
   * @param status HTTP status
   * @param type OpenAI error type
   * @param code OpenAI error code, or {@code null}
   * @param param request parameter at fault, or {@code null}
   * @param message message safe to show to the client
   * @param headers extra response headers
   */
  public GatewayException(
      int status,
      String type,
      String code,
      String param,
      String message,
      Map<String, String> headers) {
    super(message, null, false, false);
    this.status = status;
    this.type = type;
    this.code = code;
    this.param = param;
    this.headers = Map.copyOf(headers);
  }

  /** An error without extra headers. */
  public GatewayException(int status, String type, String code, String param, String message) {
    this(status, type, code, param, message, Map.of());
  }

  public int status() {
    return status;
  }

  public String type() {
    return type;
  }

  public Optional<String> code() {
    return Optional.ofNullable(code);
  }

  public Optional<String> param() {
    return Optional.ofNullable(param);
  }

  /** Extra response headers, lower-case names. */
  public Map<String, String> headers() {
    return headers;
  }

  static Map<String, String> retryAfter(int seconds) {
    var headers = new LinkedHashMap<String, String>();
    headers.put("retry-after", Integer.toString(seconds));
    return headers;
  }
}
