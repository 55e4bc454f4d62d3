package io.parley.inference.infrastructure.files;

import io.grpc.ManagedChannel;
import io.parley.common.grpc.Channels;
import io.parley.common.grpc.security.GrpcSecurity;
import io.parley.common.grpc.security.MutualTls;
import io.parley.common.grpc.security.ServiceIdentity;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Disposes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Opens the one channel to the files service when first needed (never, when {@code
 * parley.files.target} is not set: then no fine-tuned model is found), with this service's own
 * identity ({@code inference}) over mutual TLS, and shuts it down at undeploy.
 */
@ApplicationScoped
public class FilesChannelProducer {

  private static final System.Logger LOG = System.getLogger(FilesChannelProducer.class.getName());

  @Inject Config config;

  @Inject
  @ConfigProperty(name = "parley.files.target")
  Optional<String> target;

  @Inject
  @ConfigProperty(name = "parley.files.max-inbound-bytes")
  int maxInboundBytes;

  private MutualTls tls;

  /** Whether a files service is configured. */
  public boolean configured() {
    return target.filter(t -> !t.isBlank()).isPresent();
  }

  @Produces
  @ApplicationScoped
  @Files
  ManagedChannel channel() {
    var value =
        target
            .filter(t -> !t.isBlank())
            .orElseThrow(() -> new IllegalStateException("parley.files.target is not set"));
    LOG.log(System.Logger.Level.INFO, "Files service target: {0}", value);
    synchronized (this) {
      if (tls == null) {
        tls = MutualTls.load(GrpcSecurity.from(config));
      }
    }
    return Channels.open(value, maxInboundBytes, tls, ServiceIdentity.FILES);
  }

  void close(@Disposes @Files ManagedChannel channel) {
    Channels.close(channel);
    synchronized (this) {
      if (tls != null) {
        tls.close();
        tls = null;
      }
    }
  }
}
