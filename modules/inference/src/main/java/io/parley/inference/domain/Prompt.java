package io.parley.inference.domain;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** What a generation starts from. */
public sealed interface Prompt {

  /**
   * Plain text. With a suffix the model fills in the text between {@code text} and {@code suffix}
   * (fill-in-the-middle), which needs a model with FIM tokens.
   */
  record Text(String text, Optional<String> suffix) implements Prompt {
    public Text {
      Objects.requireNonNull(text, "text");
      Objects.requireNonNull(suffix, "suffix");
    }

    public Text(String text) {
      this(text, Optional.empty());
    }
  }

  /** Already tokenized input; used as given, no BOS token is added. */
  record Tokens(int[] tokens) implements Prompt {
    public Tokens {
      tokens = tokens.clone();
    }

    @Override
    public int[] tokens() {
      return tokens.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Tokens other && Arrays.equals(tokens, other.tokens);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(tokens);
    }

    @Override
    public String toString() {
      return "Tokens" + Arrays.toString(tokens);
    }
  }

  /** A conversation rendered with the model's chat template, ending with an open assistant turn. */
  record Chat(List<ChatMessage> messages) implements Prompt {
    public Chat {
      messages = List.copyOf(messages);
    }
  }
}
