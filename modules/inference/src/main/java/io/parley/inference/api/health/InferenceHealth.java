package io.parley.inference.api.health;

import io.parley.common.health.ModelsHealth;
import io.parley.inference.infrastructure.InferenceRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/** Kubernetes probes: started once gRPC listens, ready once every model is loaded, live always. */
@ApplicationScoped
public class InferenceHealth {

  @Inject InferenceRuntime runtime;

  @Produces
  @Startup
  HealthCheck started() {
    return () -> HealthCheckResponse.named("grpc-server").status(runtime.started()).build();
  }

  @Produces
  @Readiness
  HealthCheck modelsLoaded() {
    return () -> {
      var registry = runtime.registry();
      return registry == null
          ? ModelsHealth.readiness(false, false, 0, java.util.List.of())
          : ModelsHealth.readiness(
              true, registry.ready(), registry.list().size(), registry.failures());
    };
  }

  @Produces
  @Liveness
  HealthCheck alive() {
    return () -> HealthCheckResponse.named("alive").up().build();
  }
}
