package io.parley.safety.api.health;

import io.parley.safety.infrastructure.SafetyRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/**
 * Kubernetes probes: started once gRPC listens, ready once the classifier is loaded, live always.
 */
@ApplicationScoped
public class SafetyHealth {

  @Inject SafetyRuntime runtime;

  @Produces
  @Startup
  HealthCheck started() {
    return () -> HealthCheckResponse.named("grpc-server").status(runtime.started()).build();
  }

  @Produces
  @Readiness
  HealthCheck classifierLoaded() {
    return () -> {
      var builder = HealthCheckResponse.named("classifier").status(runtime.ready());
      runtime.failure().ifPresent(f -> builder.withData("failure", f));
      return builder.build();
    };
  }

  @Produces
  @Liveness
  HealthCheck alive() {
    return () -> HealthCheckResponse.named("alive").up().build();
  }
}
