package io.parley.usage.api.health;

import io.parley.usage.infrastructure.UsageRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/** Kubernetes probes: started once gRPC listens, ready while the database answers, live always. */
@ApplicationScoped
public class UsageHealth {

  @Inject UsageRuntime runtime;

  @Produces
  @Startup
  HealthCheck started() {
    return () -> HealthCheckResponse.named("grpc-server").status(runtime.started()).build();
  }

  @Produces
  @Readiness
  HealthCheck database() {
    return () -> HealthCheckResponse.named("database").status(runtime.ready()).build();
  }

  @Produces
  @Liveness
  HealthCheck alive() {
    return () -> HealthCheckResponse.named("alive").up().build();
  }
}
