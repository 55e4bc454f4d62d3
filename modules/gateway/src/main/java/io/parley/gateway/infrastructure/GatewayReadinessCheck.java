package io.parley.gateway.infrastructure;

import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.parley.gateway.application.Drain;
import io.parley.inference.v1.InferenceServiceGrpc;
import io.parley.inference.v1.ListModelsRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * The gateway is ready once it started: it can authenticate keys and serve every endpoint. Its
 * readiness does not follow its backends — an inference rollout must not hide the admin, key and
 * file APIs, and an endpoint whose backend is unavailable answers OpenAI's 503 itself. Whether
 * inference answers {@code ListModels} is reported as data of the check (kept for a few seconds so
 * probes do not load the service). While the gateway drains before it stops ({@link Drain}), it is
 * not ready, so that no new request is routed to it.
 */
@Readiness
@ApplicationScoped
public class GatewayReadinessCheck implements HealthCheck {

  private static final String NAME = "gateway";

  private Channel channel;
  private Drain drain;
  private long cacheMillis;
  private long deadlineMillis;
  private volatile HealthCheckResponse last;
  private volatile long lastAt;

  /** For CDI proxies. */
  protected GatewayReadinessCheck() {}

  @Inject
  public GatewayReadinessCheck(
      @Inference Channel channel,
      Drain drain,
      @ConfigProperty(name = "parley.gateway.readiness-cache-ms") long cacheMillis,
      @ConfigProperty(name = "parley.gateway.readiness-deadline-ms") long deadlineMillis) {
    this.channel = channel;
    this.drain = drain;
    this.cacheMillis = cacheMillis;
    this.deadlineMillis = deadlineMillis;
  }

  @Override
  public HealthCheckResponse call() {
    if (drain.draining()) {
      return HealthCheckResponse.named(NAME)
          .down()
          .withData("draining", true)
          .withData("in_flight", drain.inFlight())
          .build();
    }
    long now = System.nanoTime();
    var cached = last;
    if (cached != null && now - lastAt < TimeUnit.MILLISECONDS.toNanos(cacheMillis)) {
      return cached;
    }
    HealthCheckResponse response;
    try {
      int models =
          InferenceServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
              .listModels(ListModelsRequest.getDefaultInstance())
              .getModelsCount();
      response =
          HealthCheckResponse.named(NAME)
              .up()
              .withData("inference", "SERVING")
              .withData("models", models)
              .build();
    } catch (StatusRuntimeException e) {
      response =
          HealthCheckResponse.named(NAME)
              .up()
              .withData("inference", e.getStatus().getCode().name())
              .build();
    }
    last = response;
    lastAt = now;
    return response;
  }
}
