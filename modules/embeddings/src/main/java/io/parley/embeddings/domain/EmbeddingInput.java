package io.parley.embeddings.domain;

/** One input to embed: text, or token ids of the model's own tokenizer. */
public sealed interface EmbeddingInput {

  /** Text, tokenized by the model's tokenizer. */
  record Text(String text) implements EmbeddingInput {}

  /**
   * Token ids of the model's tokenizer, without the special tokens the model adds around a sequence
   * (those are added unless the ids already start and end with them).
   */
  record Tokens(int[] ids) implements EmbeddingInput {}
}
