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
 * Opens the one channel to the files service when first needed (never, when {@code
 * parley.files.target} is not set) and shuts it down at undeploy.
 */
@ApplicationScoped
public class FilesChannelProducer {

  private static final Logger LOG = Logger.getLogger(FilesChannelProducer.class.getName());

  @Inject ChannelSecurity security;

  @Inject
  @ConfigProperty(name = "parley.files.target")
  Optional<String> target;

  @Inject
  @ConfigProperty(name = "parley.files.max-inbound-bytes")
  int maxInboundBytes;

  @Produces
  @ApplicationScoped
  @Files
  ManagedChannel channel() {
    var value =
        target
            .filter(t -> !t.isBlank())
            .orElseThrow(() -> new IllegalStateException("parley.files.target is not set"));
    LOG.info(() -> "Files service target: " + value);
    return Channels.open(value, maxInboundBytes, security.tls(), ServiceIdentity.FILES);
  }

  void close(@Disposes @Files ManagedChannel channel) {
    Channels.close(channel);
  }
}
