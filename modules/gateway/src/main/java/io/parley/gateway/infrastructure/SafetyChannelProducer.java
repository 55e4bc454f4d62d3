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
 * Opens the one channel to the safety service when first needed (never, when {@code
 * parley.safety.target} is not set) and shuts it down at undeploy.
 */
@ApplicationScoped
public class SafetyChannelProducer {

  private static final Logger LOG = Logger.getLogger(SafetyChannelProducer.class.getName());

  @Inject ChannelSecurity security;

  @Inject
  @ConfigProperty(name = "parley.safety.target")
  Optional<String> target;

  @Inject
  @ConfigProperty(name = "parley.safety.max-inbound-bytes")
  int maxInboundBytes;

  @Produces
  @ApplicationScoped
  @Safety
  ManagedChannel channel() {
    var value =
        target
            .filter(t -> !t.isBlank())
            .orElseThrow(() -> new IllegalStateException("parley.safety.target is not set"));
    LOG.info(() -> "Safety service target: " + value);
    return Channels.open(value, maxInboundBytes, security.tls(), ServiceIdentity.SAFETY);
  }

  void close(@Disposes @Safety ManagedChannel channel) {
    Channels.close(channel);
  }
}
