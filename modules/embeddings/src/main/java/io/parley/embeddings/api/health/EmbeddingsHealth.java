package io.parley.embeddings.api.health;

import io.parley.embeddings.infrastructure.EmbeddingsRuntime;
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
public class EmbeddingsHealth {

  @Inject EmbeddingsRuntime runtime;

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
      var builder = HealthCheckResponse.named("models");
      if (registry == null) {
        return builder.down().build();
      }
      builder.status(registry.ready()).withData("loaded", registry.list().size());
      var failures = registry.failures();
      for (int i = 0; i < failures.size(); i++) {
        builder.withData("failure." + i, failures.get(i));
      }
      return builder.build();
    };
  }

  @Produces
  @Liveness
  HealthCheck alive() {
    return () -> HealthCheckResponse.named("alive").up().build();
  }
}
