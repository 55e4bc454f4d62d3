package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** The assistant message of a chat choice; {@code refusal} is always null here. */
@JsonPropertyOrder({"role", "content", "refusal"})
public record ChatMessage(String role, String content, String refusal) {

  /** An assistant message. */
  public static ChatMessage assistant(String content) {
    return new ChatMessage("assistant", content, null);
  }
}
