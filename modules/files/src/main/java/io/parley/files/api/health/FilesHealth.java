package io.parley.files.api.health;

import io.parley.files.infrastructure.FilesRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Liveness;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.health.Startup;

/**
 * Kubernetes probes: started once gRPC listens, ready while the database answers and the blob store
 * can be written, live always.
 */
@ApplicationScoped
public class FilesHealth {

  @Inject FilesRuntime runtime;

  @Produces
  @Startup
  HealthCheck started() {
    return () -> HealthCheckResponse.named("grpc-server").status(runtime.started()).build();
  }

  @Produces
  @Readiness
  HealthCheck database() {
    return () -> HealthCheckResponse.named("database").status(runtime.databaseReady()).build();
  }

  @Produces
  @Readiness
  HealthCheck store() {
    return () -> HealthCheckResponse.named("blob-store").status(runtime.storeReady()).build();
  }

  @Produces
  @Liveness
  HealthCheck alive() {
    return () -> HealthCheckResponse.named("alive").up().build();
  }
}
