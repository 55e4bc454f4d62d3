package io.parley.embeddings.infrastructure;

import ai.onnxruntime.OrtException;
import io.parley.embeddings.application.ModelLoader;
import io.parley.embeddings.application.ModelSpec;
import io.parley.embeddings.domain.EmbeddingEngine;
import io.parley.embeddings.domain.ModelInfo;
import io.parley.embeddings.infrastructure.config.EmbeddingsSettings;
import io.parley.embeddings.infrastructure.onnx.BundledModel;
import io.parley.embeddings.infrastructure.onnx.ModelTokenizer;
import io.parley.embeddings.infrastructure.onnx.OnnxEmbeddingEngine;
import io.parley.embeddings.infrastructure.onnx.OnnxEncoder;
import io.parley.embeddings.infrastructure.onnx.PoolingMode;
import io.parley.embeddings.infrastructure.openai.OpenAiEmbeddingEngine;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Builds the engine a model's settings ask for. */
public final class EngineModelLoader implements ModelLoader {

  private static final int DEFAULT_MAX_INPUT_TOKENS = 512;

  private final EmbeddingsSettings settings;

  public EngineModelLoader(EmbeddingsSettings settings) {
    this.settings = settings;
  }

  @Override
  public EmbeddingEngine load(ModelSpec spec) {
    return switch (spec.engine()) {
      case "onnx" -> onnx(spec, settings.threads(), settings.batching());
      case "openai" -> remote(spec);
      default ->
          throw new IllegalArgumentException(
              "Unknown engine '" + spec.engine() + "' for " + spec.id() + " (onnx | openai)");
    };
  }

  /** An in-process model. */
  public static OnnxEmbeddingEngine onnx(
      ModelSpec spec, int threads, OnnxEmbeddingEngine.Batching batching) {
    byte[] model;
    byte[] tokenizerJson;
    PoolingMode pooling;
    int maxInputTokens;
    if (spec.source().equals("path")) {
      var dir = spec.path();
      model = read(spec.modelFile().or(() -> dir.map(EngineModelLoader::onnxFile)), spec, "model");
      tokenizerJson =
          read(
              spec.tokenizerFile().or(() -> dir.map(d -> d.resolve("tokenizer.json"))),
              spec,
              "tokenizer");
      pooling = PoolingMode.parse(spec.pooling().orElse("mean"));
      maxInputTokens = spec.maxInputTokens().orElse(DEFAULT_MAX_INPUT_TOKENS);
    } else {
      var bundled = BundledModel.fromSource(spec.source());
      model = bundled.model();
      tokenizerJson = bundled.tokenizer();
      pooling = spec.pooling().map(PoolingMode::parse).orElse(bundled.pooling());
      maxInputTokens = spec.maxInputTokens().orElse(bundled.maxInputTokens());
    }
    var tokenizer = ModelTokenizer.load(tokenizerJson);
    try {
      var encoder = OnnxEncoder.load(model, pooling, threads);
      int dimensions = encoder.dimensions();
      if (dimensions <= 0) {
        try {
          dimensions = encoder.encode(List.of(tokenizer.encode("dimensions")))[0].length;
        } catch (OrtException e) {
          encoder.close();
          throw new IllegalStateException("The model " + spec.id() + " does not run", e);
        }
      }
      var info =
          new ModelInfo(
              spec.id(),
              spec.ownedBy(),
              Instant.now().getEpochSecond(),
              dimensions,
              spec.supportsDimensions(),
              maxInputTokens);
      return new OnnxEmbeddingEngine(info, tokenizer, encoder, batching);
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  private OpenAiEmbeddingEngine remote(ModelSpec spec) {
    var baseUrl =
        spec.baseUrl()
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "parley.embeddings.model." + spec.id() + ".base-url is required"));
    Optional<String> apiKey =
        spec.apiKeyFile()
            .map(
                file -> {
                  try {
                    return Files.readString(file).strip();
                  } catch (IOException e) {
                    throw new UncheckedIOException("The API key file cannot be read", e);
                  }
                });
    return new OpenAiEmbeddingEngine(
        spec.id(),
        spec.ownedBy(),
        baseUrl,
        spec.remoteModel(),
        apiKey,
        spec.dimensions(),
        spec.supportsDimensions(),
        spec.maxInputTokens().orElse(DEFAULT_MAX_INPUT_TOKENS),
        settings.remoteTimeout());
  }

  private static Path onnxFile(Path dir) {
    var direct = dir.resolve("model.onnx");
    return Files.exists(direct) ? direct : dir.resolve("onnx").resolve("model.onnx");
  }

  private static byte[] read(Optional<Path> file, ModelSpec spec, String what) {
    var path =
        file.orElseThrow(
            () ->
                new IllegalArgumentException(
                    "parley.embeddings.model."
                        + spec.id()
                        + ".path (or ."
                        + what
                        + "-file) is required for source path"));
    try {
      return Files.readAllBytes(path);
    } catch (IOException e) {
      throw new UncheckedIOException("The " + what + " file " + path + " cannot be read", e);
    }
  }
}
