package io.parley.gateway.infrastructure;

import io.parley.common.runtime.HostResources;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.event.Startup;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.Config;

/**
 * Logs, once at start, what the gateway runs on: CPUs, whether other services share them, the heap
 * limit and the collector (as every service does; see docs/operations.md).
 */
@ApplicationScoped
public class RuntimeDefaults {

  private static final System.Logger LOG = System.getLogger(RuntimeDefaults.class.getName());

  @Inject Config config;

  void log(@Observes Startup event) {
    LOG.log(
        System.Logger.Level.INFO, "Runtime defaults: {0}", HostResources.from(config).describe());
  }
}
