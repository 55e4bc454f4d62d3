package io.parley.gateway.infrastructure;

import io.grpc.ManagedChannel;
import io.parley.common.grpc.Channels;
import io.parley.common.grpc.security.ServiceIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Opens the one channel to the inference service when first needed and shuts it down at undeploy.
 */
@ApplicationScoped
public class InferenceChannelProducer {

  private static final Logger LOG = Logger.getLogger(InferenceChannelProducer.class.getName());

  @Inject ChannelSecurity security;

  @Inject
  @ConfigProperty(name = "parley.inference.target")
  String target;

  @Inject
  @ConfigProperty(name = "parley.inference.max-inbound-bytes")
  int maxInboundBytes;

  @Produces
  @ApplicationScoped
  @Inference
  ManagedChannel channel() {
    LOG.info(() -> "Inference service target: " + target);
    return Channels.open(target, maxInboundBytes, security.tls(), ServiceIdentity.INFERENCE);
  }

  void close(@Disposes @Inference ManagedChannel channel) {
    Channels.close(channel);
  }
}
