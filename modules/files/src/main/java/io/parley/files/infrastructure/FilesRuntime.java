package io.parley.files.infrastructure;

import io.parley.common.runtime.HostResources;
import io.parley.files.infrastructure.config.FilesSettings;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import java.time.Clock;
import org.eclipse.microprofile.config.Config;

/** Starts the files service with the application and stops it, gracefully, with it. */
@ApplicationScoped
public class FilesRuntime {

  private static final System.Logger LOG = System.getLogger(FilesRuntime.class.getName());

  @Inject Config config;

  private volatile FilesServer server;

  void start(@Observes Startup event) {
    var settings = FilesSettings.from(config);
    LOG.log(
        System.Logger.Level.INFO,
        "Runtime defaults: {0}; gRPC event loops {1}",
        HostResources.from(config).describe(),
        settings.grpcEventLoops());
    server = FilesServer.start(settings, Clock.systemUTC());
    LOG.log(
        System.Logger.Level.INFO,
        "Files gRPC listening on port {0}",
        Integer.toString(server.port()));
  }

  /** Whether the gRPC server is up. */
  public boolean started() {
    return server != null;
  }

  /** Whether the database answers. */
  public boolean databaseReady() {
    var s = server;
    return s != null && s.databaseHealthy();
  }

  /** Whether the blob store can be written. */
  public boolean storeReady() {
    var s = server;
    return s != null && s.storeHealthy();
  }

  @PreDestroy
  void stop() {
    if (server != null) {
      server.close();
    }
  }
}
