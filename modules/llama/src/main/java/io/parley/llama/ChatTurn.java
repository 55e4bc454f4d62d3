package io.parley.llama;

import java.util.Objects;

/** One message of a conversation, as llama.cpp's chat templates take it. */
public record ChatTurn(String role, String content) {
  public ChatTurn {
    Objects.requireNonNull(role, "role");
    Objects.requireNonNull(content, "content");
  }
}
