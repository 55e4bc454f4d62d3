package io.parley.inference.infrastructure;

import io.parley.common.grpc.GrpcServerRunner;
import io.parley.inference.api.grpc.InferenceGrpcService;
import io.parley.inference.application.ModelRegistry;
import io.parley.inference.infrastructure.config.InferenceSettings;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import org.eclipse.microprofile.config.Config;

/**
 * Starts the inference service with the application: the gRPC server at once, the models in the
 * background (the service is ready once they are loaded), and stops both, gracefully, with it.
 */
@ApplicationScoped
public class InferenceRuntime {

  private static final System.Logger LOG = System.getLogger(InferenceRuntime.class.getName());

  @Inject Config config;

  private ModelRegistry registry;
  private GrpcServerRunner server;
  private Thread loader;

  void start(@Observes Startup event) {
    var settings = InferenceSettings.from(config);
    registry = new ModelRegistry(settings.models(), new EngineModelLoader(settings));
    server =
        new GrpcServerRunner(
            settings.grpcHost(),
            settings.grpcPort(),
            List.of(new InferenceGrpcService(registry)),
            List.of(),
            Duration.ofMinutes(30),
            Duration.ofSeconds(20),
            // Handlers only validate and enqueue; the engine's own thread does the work.
            true);
    server.setServing(false);
    LOG.log(
        System.Logger.Level.INFO,
        "Inference gRPC listening on port {0}",
        Integer.toString(server.port()));
    loader =
        Thread.ofPlatform()
            .name("parley-model-loader")
            .daemon()
            .start(
                () -> {
                  registry.loadAll();
                  server.setServing(registry.ready());
                });
  }

  /** The model registry (empty until start). */
  public ModelRegistry registry() {
    return registry;
  }

  /** Whether the gRPC server is up. */
  public boolean started() {
    return server != null;
  }

  @PreDestroy
  void stop() {
    if (server != null) {
      server.close();
    }
    if (loader != null) {
      loader.interrupt();
    }
    if (registry != null) {
      registry.close();
    }
  }
}
