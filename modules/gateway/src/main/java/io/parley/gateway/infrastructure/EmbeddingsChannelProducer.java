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
 * Opens the one channel to the embeddings service when first needed (never, when {@code
 * parley.embeddings.target} is not set) and shuts it down at undeploy.
 */
@ApplicationScoped
public class EmbeddingsChannelProducer {

  private static final Logger LOG = Logger.getLogger(EmbeddingsChannelProducer.class.getName());

  @Inject ChannelSecurity security;

  @Inject
  @ConfigProperty(name = "parley.embeddings.target")
  Optional<String> target;

  @Inject
  @ConfigProperty(name = "parley.embeddings.max-inbound-bytes")
  int maxInboundBytes;

  @Produces
  @ApplicationScoped
  @Embeddings
  ManagedChannel channel() {
    var value =
        target
            .filter(t -> !t.isBlank())
            .orElseThrow(() -> new IllegalStateException("parley.embeddings.target is not set"));
    LOG.info(() -> "Embeddings service target: " + value);
    return Channels.open(value, maxInboundBytes, security.tls(), ServiceIdentity.EMBEDDINGS);
  }

  void close(@Disposes @Embeddings ManagedChannel channel) {
    Channels.close(channel);
  }
}
