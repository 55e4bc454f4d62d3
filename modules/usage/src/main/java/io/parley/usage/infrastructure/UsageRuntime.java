package io.parley.usage.infrastructure;

import io.parley.common.runtime.HostResources;
import io.parley.usage.infrastructure.config.UsageSettings;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.time.Clock;
import org.eclipse.microprofile.config.Config;

/** Starts the usage service with the application and stops it, gracefully, with it. */
@ApplicationScoped
public class UsageRuntime {

  private static final System.Logger LOG = System.getLogger(UsageRuntime.class.getName());

  @Inject Config config;

  private volatile UsageServer server;

  void start(@Observes Startup event) {
    var settings = UsageSettings.from(config);
    LOG.log(
        System.Logger.Level.INFO,
        "Runtime defaults: {0}; gRPC event loops {1}",
        HostResources.from(config).describe(),
        settings.grpcEventLoops());
    server = UsageServer.start(settings, Clock.systemUTC());
    LOG.log(
        System.Logger.Level.INFO,
        "Usage gRPC listening on port {0}",
        Integer.toString(server.port()));
  }

  /** Whether the gRPC server is up. */
  public boolean started() {
    return server != null;
  }

  /** Whether the database answers. */
  public boolean ready() {
    var s = server;
    return s != null && s.databaseHealthy();
  }

  @PreDestroy
  void stop() {
    if (server != null) {
      server.close();
    }
  }
}
