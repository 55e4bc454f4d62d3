package io.parley.gateway.domain;

/**
 * The request is wrong (HTTP 400, {@code invalid_request_error}): a missing or invalid parameter, a
 * body that is not JSON, a prompt longer than the context. Raised while validating a request or
 * when the inference service rejects its arguments.
 */
public class InvalidRequestException extends GatewayException {

  /**
   * @param message what is wrong, phrased like OpenAI's messages
   * @param param the parameter at fault ({@code messages[0].content}), or {@code null}
   * @param code OpenAI error code ({@code invalid_type}, {@code context_length_exceeded}), or
   *     {@code null}
   */
  public InvalidRequestException(String message, String param, String code) {
    super(400, INVALID_REQUEST, code, param, message);
  }
}
