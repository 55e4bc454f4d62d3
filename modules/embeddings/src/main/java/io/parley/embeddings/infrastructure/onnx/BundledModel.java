package io.parley.embeddings.infrastructure.onnx;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;

/**
 * The models that ship as Maven dependencies (the langchain4j model jars: an int8-quantised ONNX
 * export and its tokenizer.json each), with what their model cards say.
 */
public enum BundledModel {
  /** sentence-transformers/all-MiniLM-L6-v2, int8: 384 dimensions, mean pooling, 256 tokens. */
  MINILM("all-minilm-l6-v2-q.onnx", "all-minilm-l6-v2-q-tokenizer.json", PoolingMode.MEAN, 256),
  /** BAAI/bge-small-en-v1.5, int8: 384 dimensions, CLS pooling, 512 tokens. */
  BGE("bge-small-en-v1.5-q.onnx", "bge-small-en-v1.5-q-tokenizer.json", PoolingMode.CLS, 512);

  private final String modelResource;
  private final String tokenizerResource;
  private final PoolingMode pooling;
  private final int maxInputTokens;

  BundledModel(
      String modelResource, String tokenizerResource, PoolingMode pooling, int maxInputTokens) {
    this.modelResource = modelResource;
    this.tokenizerResource = tokenizerResource;
    this.pooling = pooling;
    this.maxInputTokens = maxInputTokens;
  }

  /** The model of a {@code source} setting: {@code bundled-minilm} or {@code bundled-bge}. */
  public static BundledModel fromSource(String source) {
    return switch (source.trim().toLowerCase(Locale.ROOT)) {
      case "bundled-minilm" -> MINILM;
      case "bundled-bge" -> BGE;
      default -> throw new IllegalArgumentException("Unknown bundled model '" + source + "'");
    };
  }

  /** The ONNX file. */
  public byte[] model() {
    return read(modelResource);
  }

  /** The tokenizer.json. */
  public byte[] tokenizer() {
    return read(tokenizerResource);
  }

  /** How its token vectors are pooled. */
  public PoolingMode pooling() {
    return pooling;
  }

  /** Tokens one input may have, special tokens included. */
  public int maxInputTokens() {
    return maxInputTokens;
  }

  private static byte[] read(String resource) {
    try (var in = BundledModel.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("The model file " + resource + " is not on the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
