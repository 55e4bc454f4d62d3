package io.parley.gateway.infrastructure;

import io.parley.common.grpc.security.GrpcSecurity;
import io.parley.common.grpc.security.MutualTls;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.Config;

/**
 * The gateway's identity in the platform's mutual TLS ({@code parley.tls.*}), shared by every
 * channel to the other services; loaded when the first channel opens, its files watched for
 * rotation until undeploy.
 */
@ApplicationScoped
public class ChannelSecurity {

  @Inject Config config;

  private MutualTls tls;

  /** The gateway's identity and the platform CA. */
  public synchronized MutualTls tls() {
    if (tls == null) {
      tls = MutualTls.load(GrpcSecurity.from(config));
    }
    return tls;
  }

  @PreDestroy
  synchronized void close() {
    if (tls != null) {
      tls.close();
      tls = null;
    }
  }
}
