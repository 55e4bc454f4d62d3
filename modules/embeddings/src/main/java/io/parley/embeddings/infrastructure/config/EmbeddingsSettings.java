package io.parley.embeddings.infrastructure.config;

import io.parley.common.runtime.HostResources;
import io.parley.embeddings.application.ModelSpec;
import io.parley.embeddings.infrastructure.onnx.OnnxEmbeddingEngine;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import org.eclipse.microprofile.config.Config;

/**
 * The embeddings service's settings, read from MicroProfile Config (defaults in {@code
 * META-INF/microprofile-config.properties}, overridden by environment variables such as {@code
 * PARLEY_EMBEDDINGS_MODELS} or {@code PARLEY_EMBEDDINGS_MODEL_ALL_MINILM_L6_V2_SOURCE}).
 *
 * @param grpcHost address the gRPC server binds
 * @param grpcPort port of the gRPC server
 * @param models the configured models, in order
 * @param threads ONNX Runtime intra-op threads per model
 * @param batching how concurrent requests are grouped into ONNX runs
 * @param maxInputs most inputs per request
 * @param remoteTimeout longest a remote engine may take for one request
 */
public record EmbeddingsSettings(
    String grpcHost,
    int grpcPort,
    List<ModelSpec> models,
    int threads,
    OnnxEmbeddingEngine.Batching batching,
    int maxInputs,
    Duration remoteTimeout) {

  /** Reads the settings. */
  public static EmbeddingsSettings from(Config config) {
    var ids =
        Arrays.stream(
                config
                    .getOptionalValue("parley.embeddings.models", String.class)
                    .orElse("all-minilm-l6-v2")
                    .split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .toList();
    var models = new ArrayList<ModelSpec>();
    for (var id : ids) {
      var prefix = "parley.embeddings.model." + id + ".";
      models.add(
          new ModelSpec(
              id,
              config
                  .getOptionalValue(prefix + "engine", String.class)
                  .orElse("onnx")
                  .toLowerCase(Locale.ROOT),
              config.getOptionalValue(prefix + "source", String.class).orElse(defaultSource(id)),
              config.getOptionalValue(prefix + "path", String.class).map(Path::of),
              config.getOptionalValue(prefix + "model-file", String.class).map(Path::of),
              config.getOptionalValue(prefix + "tokenizer-file", String.class).map(Path::of),
              config.getOptionalValue(prefix + "pooling", String.class),
              config
                  .getOptionalValue(prefix + "max-input-tokens", Integer.class)
                  .map(OptionalInt::of)
                  .orElse(OptionalInt.empty()),
              config.getOptionalValue(prefix + "supports-dimensions", Boolean.class).orElse(false),
              config.getOptionalValue(prefix + "dimensions", Integer.class).orElse(0),
              config.getOptionalValue(prefix + "base-url", String.class).map(URI::create),
              config.getOptionalValue(prefix + "remote-model", String.class).orElse(id),
              config.getOptionalValue(prefix + "api-key-file", String.class).map(Path::of),
              config.getOptionalValue(prefix + "owned-by", String.class).orElse("parley")));
    }
    int threads = config.getOptionalValue("parley.embeddings.threads", Integer.class).orElse(0);
    return new EmbeddingsSettings(
        config.getOptionalValue("parley.grpc.host", String.class).orElse("127.0.0.1"),
        config.getOptionalValue("parley.grpc.port", Integer.class).orElse(9090),
        models,
        threads > 0 ? threads : HostResources.from(config).computeThreads(),
        new OnnxEmbeddingEngine.Batching(
            config.getOptionalValue("parley.embeddings.batch.max-size", Integer.class).orElse(32),
            config
                .getOptionalValue("parley.embeddings.batch.max-tokens", Long.class)
                .orElse(16_384L),
            Duration.ofNanos(
                (long)
                    (config
                            .getOptionalValue("parley.embeddings.batch.max-wait-ms", Double.class)
                            .orElse(2.0)
                        * 1_000_000)),
            config
                .getOptionalValue("parley.embeddings.batch.queue-capacity", Integer.class)
                .orElse(8192)),
        config.getOptionalValue("parley.embeddings.max-inputs", Integer.class).orElse(2048),
        Duration.ofSeconds(
            config.getOptionalValue("parley.embeddings.remote-timeout-s", Long.class).orElse(60L)));
  }

  /** Model ids that name a bundled model use it unless a source is configured. */
  private static String defaultSource(String id) {
    return switch (id) {
      case "all-minilm-l6-v2" -> "bundled-minilm";
      case "bge-small-en-v1.5" -> "bundled-bge";
      default -> "path";
    };
  }
}
