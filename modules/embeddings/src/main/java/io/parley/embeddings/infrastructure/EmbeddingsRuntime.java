package io.parley.embeddings.infrastructure;

import io.parley.common.grpc.ConnectionLifetime;
import io.parley.common.grpc.GrpcServerRunner;
import io.parley.common.grpc.security.GrpcSecurity;
import io.parley.common.models.ModelServer;
import io.parley.common.runtime.HostResources;
import io.parley.embeddings.api.grpc.EmbeddingsCallers;
import io.parley.embeddings.api.grpc.EmbeddingsGrpcService;
import io.parley.embeddings.application.EmbedUseCase;
import io.parley.embeddings.application.ModelRegistry;
import io.parley.embeddings.infrastructure.config.EmbeddingsSettings;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.config.Config;

/**
 * Starts the embeddings service with the application: the gRPC server at once, the models in the
 * background (the service is ready once they are loaded), and stops both, gracefully, with it.
 */
@ApplicationScoped
public class EmbeddingsRuntime {

  private static final System.Logger LOG = System.getLogger(EmbeddingsRuntime.class.getName());

  @Inject Config config;

  private ModelRegistry registry;
  private GrpcServerRunner server;
  private ModelServer serving;

  void start(@Observes Startup event) {
    var settings = EmbeddingsSettings.from(config);
    var host = HostResources.from(config);
    int eventLoops = host.eventLoopThreads(config);
    LOG.log(
        System.Logger.Level.INFO,
        "Runtime defaults: {0}; ONNX Runtime intra-op threads {1}, inter-op 1; gRPC event loops {2}",
        host.describe(),
        settings.threads(),
        eventLoops);
    registry = new ModelRegistry(settings.models(), new EngineModelLoader(settings));
    server =
        new GrpcServerRunner(
            settings.grpcHost(),
            settings.grpcPort(),
            GrpcSecurity.from(config),
            EmbeddingsCallers.POLICY,
            List.of(
                new EmbeddingsGrpcService(
                    registry, new EmbedUseCase(registry, settings.maxInputs()))),
            List.of(),
            ConnectionLifetime.from(config, Duration.ofSeconds(20)),
            // Handlers tokenize and hand the inputs to the batcher (or an async HTTP call).
            true,
            eventLoops);
    serving = new ModelServer("Embeddings", server, registry::loadAll, registry::ready, registry);
  }

  /** The model registry (null until start). */
  public ModelRegistry registry() {
    return registry;
  }

  /** Whether the gRPC server is up. */
  public boolean started() {
    return server != null;
  }

  @PreDestroy
  void stop() {
    if (serving != null) {
      serving.close();
    }
  }
}
