package io.parley.inference.domain;

import java.util.Objects;

/**
 * One message of a chat conversation, e.g. role {@code "system"}, {@code "user"} or {@code
 * "assistant"}.
 */
public record ChatMessage(String role, String content) {
  public ChatMessage {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }
}
