package io.parley.inference.infrastructure.config;

import io.parley.common.runtime.HostResources;
import io.parley.inference.application.AdapterPolicy;
import io.parley.inference.application.ModelSpec;
import io.parley.llama.LlamaLibrary;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;

/**
 * The inference service's settings, read from MicroProfile Config (defaults in {@code
 * META-INF/microprofile-config.properties}, overridden by environment variables such as {@code
 * PARLEY_INFERENCE_MODELS} or {@code PARLEY_INFERENCE_MODEL_STORIES260K_PATH}).
 *
 * @param grpcHost address the gRPC server binds
 * @param grpcPort port of the gRPC server
 * @param models the configured models, in order
 * @param slots parallel sequences per llama model
 * @param ctxPerSlot context cap per sequence (0 = the model's training context)
 * @param threads CPU threads per llama model
 * @param spinWait whether idle llama.cpp threads spin before they sleep (libgomp's default) rather
 *     than sleep at once
 * @param batchSize tokens per decode step
 * @param queueCapacity requests that may wait for a slot
 * @param maxQueueWait longest wait for a slot
 * @param cacheDir where downloaded models are kept
 * @param libraryPath the llama.cpp library to use instead of the bundled one
 * @param remoteTimeout longest a remote generation may take
 * @param adapters how fine-tuned models (LoRA adapters) are fetched and kept
 * @param registryDeadline deadline of a look-up in the fine-tuned model registry
 * @param adapterFetchDeadline deadline of an adapter's download
 */
public record InferenceSettings(
    String grpcHost,
    int grpcPort,
    List<ModelSpec> models,
    int slots,
    int ctxPerSlot,
    int threads,
    boolean spinWait,
    int batchSize,
    int queueCapacity,
    Duration maxQueueWait,
    Path cacheDir,
    Optional<Path> libraryPath,
    Duration remoteTimeout,
    AdapterPolicy adapters,
    Duration registryDeadline,
    Duration adapterFetchDeadline) {

  /** How idle llama.cpp threads wait, from {@link #spinWait()}. */
  public LlamaLibrary.ThreadWait threadWait() {
    return spinWait ? LlamaLibrary.ThreadWait.SPIN : LlamaLibrary.ThreadWait.PASSIVE;
  }

  /** Reads the settings. */
  public static InferenceSettings from(Config config) {
    var ids =
        Arrays.stream(config.getValue("parley.inference.models", String.class).split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .toList();
    var models = new ArrayList<ModelSpec>();
    for (var id : ids) {
      var prefix = "parley.inference.model." + id + ".";
      models.add(
          new ModelSpec(
              id,
              config.getOptionalValue(prefix + "engine", String.class).orElse("llama"),
              config.getOptionalValue(prefix + "path", String.class).map(Path::of),
              config.getOptionalValue(prefix + "url", String.class).map(URI::create),
              config.getOptionalValue(prefix + "sha256", String.class),
              config.getOptionalValue(prefix + "base-url", String.class).map(URI::create),
              config.getOptionalValue(prefix + "remote-model", String.class).orElse(id),
              config.getOptionalValue(prefix + "api-key-file", String.class).map(Path::of),
              config.getOptionalValue(prefix + "context-length", Integer.class).orElse(4096),
              config.getOptionalValue(prefix + "owned-by", String.class).orElse("parley")));
    }
    var host = HostResources.from(config);
    int threads = config.getOptionalValue("parley.inference.threads", Integer.class).orElse(0);
    var spinWait =
        config.getOptionalValue("parley.inference.spin-wait", String.class).orElse("auto").trim();
    Path cacheDir =
        Path.of(
            config
                .getOptionalValue("parley.inference.cache-dir", String.class)
                .orElse(System.getProperty("java.io.tmpdir") + "/parley-models"));
    var adapters =
        new AdapterPolicy(
            config
                .getOptionalValue("parley.inference.adapters.cache-dir", String.class)
                .map(Path::of)
                .orElse(cacheDir.resolve("adapters")),
            config
                .getOptionalValue("parley.inference.adapters.max-bytes", Long.class)
                .orElse(256L << 20),
            config
                .getOptionalValue("parley.inference.adapters.max-loaded", Integer.class)
                .orElse(8),
            config
                .getOptionalValue("parley.inference.adapters.max-loaded-bytes", Long.class)
                .orElse(1L << 30),
            Duration.ofMillis(
                config
                    .getOptionalValue("parley.inference.adapters.idle-ms", Long.class)
                    .orElse(600_000L)),
            Duration.ofMillis(
                config
                    .getOptionalValue("parley.inference.adapters.lookup-ttl-ms", Long.class)
                    .orElse(5_000L)),
            config.getOptionalValue("parley.inference.adapters.slots", Integer.class).orElse(2));
    return new InferenceSettings(
        config.getOptionalValue("parley.grpc.host", String.class).orElse("127.0.0.1"),
        config.getOptionalValue("parley.grpc.port", Integer.class).orElse(9090),
        models,
        config.getOptionalValue("parley.inference.slots", Integer.class).orElse(4),
        config.getOptionalValue("parley.inference.ctx-per-slot", Integer.class).orElse(4096),
        threads > 0 ? threads : host.computeThreads(),
        spinWait.equalsIgnoreCase("auto") ? host.computeSpinWait() : Boolean.parseBoolean(spinWait),
        config.getOptionalValue("parley.inference.batch-size", Integer.class).orElse(512),
        config.getOptionalValue("parley.inference.queue-capacity", Integer.class).orElse(64),
        Duration.ofMillis(
            config
                .getOptionalValue("parley.inference.max-queue-wait-ms", Long.class)
                .orElse(30_000L)),
        cacheDir,
        config.getOptionalValue("parley.inference.library", String.class).map(Path::of),
        Duration.ofSeconds(
            config.getOptionalValue("parley.inference.remote-timeout-s", Long.class).orElse(600L)),
        adapters,
        Duration.ofMillis(
            config.getOptionalValue("parley.files.deadline-ms", Long.class).orElse(10_000L)),
        Duration.ofMillis(
            config
                .getOptionalValue("parley.inference.adapters.fetch-deadline-ms", Long.class)
                .orElse(120_000L)));
  }
}
