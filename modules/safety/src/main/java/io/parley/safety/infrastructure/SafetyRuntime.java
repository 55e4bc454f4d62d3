package io.parley.safety.infrastructure;

import io.parley.common.grpc.ConnectionLifetime;
import io.parley.common.grpc.GrpcServerRunner;
import io.parley.common.grpc.security.GrpcSecurity;
import io.parley.common.runtime.HostResources;
import io.parley.safety.api.grpc.SafetyCallers;
import io.parley.safety.api.grpc.SafetyGrpcService;
import io.parley.safety.application.ModerateUseCase;
import io.parley.safety.application.PolicyService;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;

/**
 * Starts the safety service with the application: loads the encoder and the bundled heads (about a
 * second), then starts the gRPC server; stops both, gracefully, with it. Policies are kept in
 * memory.
 */
@ApplicationScoped
public class SafetyRuntime {

  private static final System.Logger LOG = System.getLogger(SafetyRuntime.class.getName());

  @Inject Config config;

  private volatile OnnxSentenceEncoder encoder;
  private volatile GrpcServerRunner server;
  private volatile String failure;

  void start(@Observes Startup event) {
    var settings = SafetySettings.from(config);
    var host = HostResources.from(config);
    int eventLoops = host.eventLoopThreads(config);
    LOG.log(
        System.Logger.Level.INFO,
        "Runtime defaults: {0}; ONNX Runtime intra-op threads {1}, inter-op 1; gRPC event loops {2}",
        host.describe(),
        settings.threads(),
        eventLoops);
    try {
      var model = HeadsFile.bundled();
      encoder = OnnxSentenceEncoder.load(settings.threads(), settings.batching());
      var moderate =
          new ModerateUseCase(model, encoder, settings.maxInputs(), settings.maxInputChars());
      var policies = new PolicyService(new MemoryPolicyRepository(), settings.defaultPolicy());
      server =
          new GrpcServerRunner(
              settings.grpcHost(),
              settings.grpcPort(),
              GrpcSecurity.from(config),
              SafetyCallers.POLICY,
              List.of(new SafetyGrpcService(moderate, policies)),
              List.of(),
              ConnectionLifetime.from(config, Duration.ofSeconds(20)),
              false,
              eventLoops);
      server.setServing(true);
      LOG.log(
          System.Logger.Level.INFO,
          "Safety gRPC listening on port {0}, model {1}",
          Integer.toString(server.port()),
          model.id());
    } catch (RuntimeException | LinkageError e) {
      failure = e.toString();
      LOG.log(System.Logger.Level.ERROR, "The safety service did not start", e);
      stop();
    }
  }

  /** Whether the gRPC server is up. */
  public boolean started() {
    return server != null;
  }

  /** Whether moderation requests are served. */
  public boolean ready() {
    return server != null && failure == null;
  }

  /** Why the service did not start, if it did not. */
  public Optional<String> failure() {
    return Optional.ofNullable(failure);
  }

  @PreDestroy
  void stop() {
    if (server != null) {
      server.close();
      server = null;
    }
    if (encoder != null) {
      encoder.close();
      encoder = null;
    }
  }
}
