package io.parley.embeddings.infrastructure.onnx;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.embeddings.domain.InvalidEmbeddingRequestException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;

/**
 * A model's HuggingFace tokenizer (tokenizer.json, run by DJL's binding of the Rust tokenizers):
 * turns text into the exact token ids the model reads, special tokens included and nothing
 * truncated or padded (whatever tokenizer.json says), so token counts are exact. Thread-safe.
 */
public final class ModelTokenizer implements AutoCloseable {

  private final HuggingFaceTokenizer tokenizer;
  private final long[] prefix;
  private final long[] suffix;
  private final int vocabularySize;

  private ModelTokenizer(HuggingFaceTokenizer tokenizer, int vocabularySize) {
    this.tokenizer = tokenizer;
    this.vocabularySize = vocabularySize;
    // The special tokens the post-processor puts around a single sequence ([CLS] … [SEP] for BERT).
    long[] plain = tokenizer.encode("a", false, false).getIds();
    long[] full = tokenizer.encode("a", true, false).getIds();
    int at = indexOf(full, plain);
    if (at < 0) {
      throw new IllegalArgumentException("The tokenizer's special tokens cannot be told apart");
    }
    this.prefix = Arrays.copyOfRange(full, 0, at);
    this.suffix = Arrays.copyOfRange(full, at + plain.length, full.length);
  }

  /** Loads a tokenizer.json. */
  public static ModelTokenizer load(byte[] tokenizerJson) {
    try {
      var tokenizer =
          HuggingFaceTokenizer.newInstance(
              new ByteArrayInputStream(tokenizerJson),
              Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false"));
      return new ModelTokenizer(
          tokenizer, vocabularySize(new ObjectMapper().readTree(tokenizerJson)));
    } catch (IOException e) {
      throw new UncheckedIOException("The tokenizer cannot be read", e);
    }
  }

  /** The ids the model reads for a text, special tokens included. */
  public long[] encode(String text) {
    return tokenizer.encode(text, true, false).getIds();
  }

  /**
   * The ids the model reads for token ids given by a client: checked against the vocabulary, and
   * wrapped in the special tokens unless they already start and end with them.
   *
   * @param ids the client's ids
   * @param index position of the input in the request (for the error message)
   */
  public long[] wrap(int[] ids, int index) {
    for (int id : ids) {
      if (id < 0 || id >= vocabularySize) {
        throw new InvalidEmbeddingRequestException(
            "input["
                + index
                + "] holds the token id "
                + id
                + ", outside this model's vocabulary (0 to "
                + (vocabularySize - 1)
                + ").",
            "input");
      }
    }
    boolean wrapped =
        startsWith(ids, prefix)
            && endsWith(ids, suffix)
            && ids.length >= prefix.length + suffix.length;
    int extra = wrapped ? 0 : prefix.length + suffix.length;
    long[] sequence = new long[ids.length + extra];
    int at = 0;
    if (!wrapped) {
      System.arraycopy(prefix, 0, sequence, 0, prefix.length);
      at = prefix.length;
    }
    for (int id : ids) {
      sequence[at++] = id;
    }
    if (!wrapped) {
      System.arraycopy(suffix, 0, sequence, at, suffix.length);
    }
    return sequence;
  }

  /** Tokens of the vocabulary, added tokens included. */
  public int vocabularySize() {
    return vocabularySize;
  }

  @Override
  public void close() {
    tokenizer.close();
  }

  private static int vocabularySize(JsonNode json) {
    int size = 0;
    var vocab = json.path("model").path("vocab");
    if (vocab.isObject()) {
      for (var entry : vocab.properties()) {
        size = Math.max(size, entry.getValue().asInt() + 1);
      }
    } else if (vocab.isArray()) {
      size = vocab.size();
    }
    for (var token : json.path("added_tokens")) {
      size = Math.max(size, token.path("id").asInt() + 1);
    }
    if (size == 0) {
      throw new IllegalArgumentException("tokenizer.json has no vocabulary");
    }
    return size;
  }

  private static int indexOf(long[] array, long[] part) {
    outer:
    for (int i = 0; i + part.length <= array.length; i++) {
      for (int j = 0; j < part.length; j++) {
        if (array[i + j] != part[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private static boolean startsWith(int[] ids, long[] head) {
    if (ids.length < head.length) {
      return false;
    }
    for (int i = 0; i < head.length; i++) {
      if (ids[i] != head[i]) {
        return false;
      }
    }
    return true;
  }

  private static boolean endsWith(int[] ids, long[] tail) {
    if (ids.length < tail.length) {
      return false;
    }
    for (int i = 0; i < tail.length; i++) {
      if (ids[ids.length - tail.length + i] != tail[i]) {
        return false;
      }
    }
    return true;
  }
}
