package io.parley.gateway.api.rest.dto;

/** {@code {"error":{"message","type","param","code"}}}, the body of every error. */
public record ErrorEnvelope(ErrorBody error) {

  /** The error itself. */
  @com.fasterxml.jackson.annotation.JsonPropertyOrder({"message", "type", "param", "code"})
  public record ErrorBody(String message, String type, String param, String code) {}
}
