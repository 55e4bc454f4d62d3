package io.parley.gateway.infrastructure;

import io.grpc.ManagedChannel;
import io.parley.common.grpc.Channels;
import io.parley.common.grpc.security.ServiceIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Opens the one channel to the usage service when first needed (never, when {@code
 * parley.usage.target} is not set) and shuts it down at undeploy.
 */
@ApplicationScoped
public class UsageChannelProducer {

  private static final Logger LOG = Logger.getLogger(UsageChannelProducer.class.getName());

  @Inject ChannelSecurity security;

  @Inject
  @ConfigProperty(name = "parley.usage.target")
  Optional<String> target;

  @Inject
  @ConfigProperty(name = "parley.usage.max-inbound-bytes")
  int maxInboundBytes;

  @Produces
  @ApplicationScoped
  @Usage
  ManagedChannel channel() {
    var value =
        target
            .filter(t -> !t.isBlank())
            .orElseThrow(() -> new IllegalStateException("parley.usage.target is not set"));
    LOG.info(() -> "Usage service target: " + value);
    return Channels.open(value, maxInboundBytes, security.tls(), ServiceIdentity.USAGE);
  }

  void close(@Disposes @Usage ManagedChannel channel) {
    Channels.close(channel);
  }
}
