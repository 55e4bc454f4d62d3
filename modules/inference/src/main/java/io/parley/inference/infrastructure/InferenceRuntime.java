package io.parley.inference.infrastructure;

import io.grpc.ManagedChannel;
import io.parley.common.grpc.ConnectionLifetime;
import io.parley.common.grpc.GrpcServerRunner;
import io.parley.common.grpc.security.GrpcSecurity;
import io.parley.common.models.ModelServer;
import io.parley.common.runtime.HostResources;
import io.parley.inference.api.grpc.InferenceCallers;
import io.parley.inference.api.grpc.InferenceGrpcService;
import io.parley.inference.application.ModelRegistry;
import io.parley.inference.infrastructure.config.InferenceSettings;
import io.parley.inference.infrastructure.files.Files;
import io.parley.inference.infrastructure.files.FilesChannelProducer;
import io.parley.inference.infrastructure.files.GrpcFineTunedModelSource;
import io.parley.inference.infrastructure.llama.LlamaAdapterLoader;
import io.parley.llama.LlamaLibrary;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;

/**
 * Starts the inference service with the application: the gRPC server at once, the models in the
 * background (the service is ready once they are loaded), and stops both, gracefully, with it.
 */
@ApplicationScoped
public class InferenceRuntime {

  private static final System.Logger LOG = System.getLogger(InferenceRuntime.class.getName());

  @Inject Config config;

  @Inject FilesChannelProducer files;

  @Inject @Files Instance<ManagedChannel> filesChannel;

  private ModelRegistry registry;
  private GrpcServerRunner server;
  private ModelServer serving;

  void start(@Observes Startup event) {
    var settings = InferenceSettings.from(config);
    var host = HostResources.from(config);
    int eventLoops = host.eventLoopThreads(config);
    LOG.log(
        System.Logger.Level.INFO,
        "Runtime defaults: {0}; llama.cpp threads {1} per model, idle threads {2}; gRPC event"
            + " loops {3}",
        host.describe(),
        settings.threads(),
        LlamaLibrary.describe(settings.threadWait()),
        eventLoops);
    Optional<ModelRegistry.FineTuning> fineTuning =
        files.configured()
            ? Optional.of(
                new ModelRegistry.FineTuning(
                    new GrpcFineTunedModelSource(
                        filesChannel.get(),
                        settings.registryDeadline(),
                        settings.adapterFetchDeadline()),
                    new LlamaAdapterLoader(settings.adapters().slots()),
                    settings.adapters()))
            : Optional.empty();
    registry = new ModelRegistry(settings.models(), new EngineModelLoader(settings), fineTuning);
    if (fineTuning.isPresent()) {
      // Connect (mutual TLS handshake included) now rather than on the first fine-tuned request.
      filesChannel.get().getState(true);
    }
    server =
        new GrpcServerRunner(
            settings.grpcHost(),
            settings.grpcPort(),
            GrpcSecurity.from(config),
            InferenceCallers.POLICY,
            List.of(new InferenceGrpcService(registry)),
            List.of(),
            ConnectionLifetime.from(config, Duration.ofSeconds(60)),
            // Handlers only validate and enqueue; the engine's own thread does the work.
            true,
            eventLoops);
    serving = new ModelServer("Inference", server, registry::loadAll, registry::ready, registry);
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
    if (serving != null) {
      serving.close();
    }
  }
}
