package io.parley.safety.infrastructure;

import io.parley.common.runtime.HostResources;
import io.parley.embeddings.infrastructure.onnx.OnnxEmbeddingEngine;
import io.parley.safety.domain.Policy;
import java.time.Duration;
import org.eclipse.microprofile.config.Config;

/**
 * The safety service's settings (defaults in {@code META-INF/microprofile-config.properties}).
 *
 * @param grpcHost address the gRPC server binds
 * @param grpcPort port of the gRPC server
 * @param threads ONNX Runtime intra-op threads
 * @param batching how concurrent windows are grouped into ONNX runs
 * @param maxInputs most inputs per request
 * @param maxInputChars most characters per input
 * @param defaultPolicy policy of organizations that set none
 */
public record SafetySettings(
    String grpcHost,
    int grpcPort,
    int threads,
    OnnxEmbeddingEngine.Batching batching,
    int maxInputs,
    int maxInputChars,
    Policy defaultPolicy) {

  /** Reads the settings. */
  public static SafetySettings from(Config config) {
    int threads = config.getValue("parley.safety.threads", Integer.class);
    return new SafetySettings(
        config.getValue("parley.grpc.host", String.class),
        config.getValue("parley.grpc.port", Integer.class),
        threads > 0 ? threads : HostResources.from(config).computeThreads(),
        new OnnxEmbeddingEngine.Batching(
            config.getValue("parley.safety.batch.max-size", Integer.class),
            config.getValue("parley.safety.batch.max-tokens", Long.class),
            Duration.ofNanos(
                Math.round(config.getValue("parley.safety.batch.max-wait-ms", Double.class) * 1e6)),
            config.getValue("parley.safety.batch.queue-capacity", Integer.class)),
        config.getValue("parley.safety.max-inputs", Integer.class),
        config.getValue("parley.safety.max-input-chars", Integer.class),
        new Policy(
            config.getValue("parley.safety.policy.default.screen-input", Boolean.class),
            config.getValue("parley.safety.policy.default.screen-output", Boolean.class)));
  }
}
