package io.parley.gateway.infrastructure;

import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.GrpcErrors;
import io.parley.gateway.application.SafetyBackend;
import io.parley.gateway.domain.BackendUnavailableException;
import io.parley.gateway.domain.ServiceNotConfiguredException;
import io.parley.gateway.domain.ServiceUnavailableException;
import io.parley.safety.v1.GetPolicyRequest;
import io.parley.safety.v1.ModerateRequest;
import io.parley.safety.v1.ModerateResponse;
import io.parley.safety.v1.Policy;
import io.parley.safety.v1.SafetyServiceGrpc;
import io.parley.safety.v1.SetPolicyRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.Bulkhead;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

/**
 * Client of {@code parley.safety.v1.SafetyService}. Moderate is idempotent, so it is retried on
 * unavailability, bounded by a bulkhead; a circuit breaker opens when the service keeps failing
 * (only unavailability and deadlines count). Moderate runs on the request path (input and output
 * screening), so it is bounded by its gRPC deadline alone ({@code parley.safety.deadline-ms}), not
 * by an {@code @Timeout}, which would schedule and cancel a timer per call. The policy calls are
 * cached by {@link io.parley.gateway.application.ContentScreening} and keep their timeouts (MP
 * Fault Tolerance keys such as {@code
 * io.parley.gateway.infrastructure.SafetyClient/policy/Timeout/value}). {@link #enabled()} is false
 * when {@code parley.safety.target} is not set: calls then fail with 501 and nothing is opened.
 */
@ApplicationScoped
public class SafetyClient implements SafetyBackend {

  private Channel channel;
  private boolean enabled;
  private long deadlineMillis;
  private int retryAfterSeconds;

  /** For CDI proxies. */
  protected SafetyClient() {}

  /**
   * @param channel channel to the safety service (opened on first use)
   * @param target the configured target; empty disables the client
   * @param deadlineMillis deadline of Moderate
   * @param retryAfterSeconds {@code retry-after} sent with transient failures
   */
  @Inject
  public SafetyClient(
      @Safety Channel channel,
      @ConfigProperty(name = "parley.safety.target") Optional<String> target,
      @ConfigProperty(name = "parley.safety.deadline-ms") long deadlineMillis,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds) {
    this.channel = channel;
    this.enabled = target.filter(t -> !t.isBlank()).isPresent();
    this.deadlineMillis = deadlineMillis;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** Whether a safety service is configured. */
  @Override
  public boolean enabled() {
    return enabled;
  }

  /**
   * Classifies texts.
   *
   * @throws ServiceNotConfiguredException when no service is configured
   * @throws io.parley.gateway.domain.ModelNotFoundException when another classifier is asked for
   * @throws io.parley.gateway.domain.InvalidRequestException when the service rejects the inputs
   */
  @Retry(maxRetries = 2, delay = 100, jitter = 50, retryOn = BackendUnavailableException.class)
  @CircuitBreaker(
      failOn = {
        BackendUnavailableException.class,
        ServiceUnavailableException.class,
        TimeoutException.class
      },
      requestVolumeThreshold = 10,
      failureRatio = 0.5,
      delay = 5_000,
      successThreshold = 2)
  @Bulkhead(64)
  @Override
  public ModerateResponse moderate(ModerateRequest request) {
    if (!enabled) {
      throw SafetyBackend.notConfigured();
    }
    try {
      return SafetyServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
          .moderate(request);
    } catch (StatusRuntimeException e) {
      throw ServiceErrors.toGatewayException(
          SERVICE, GrpcErrors.parse(e), request.getModel(), retryAfterSeconds);
    }
  }

  /**
   * The organization's screening policy (both off when no safety service is configured).
   *
   * @throws io.parley.gateway.domain.GatewayException when the service fails
   */
  @Retry(maxRetries = 2, delay = 100, jitter = 50, retryOn = BackendUnavailableException.class)
  @Timeout(10_000)
  @Bulkhead(64)
  @Override
  public Policy policy(String organization) {
    if (!enabled) {
      return Policy.getDefaultInstance();
    }
    try {
      return SafetyServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
          .getPolicy(GetPolicyRequest.newBuilder().setOrganization(organization).build())
          .getPolicy();
    } catch (StatusRuntimeException e) {
      throw ServiceErrors.toGatewayException(SERVICE, GrpcErrors.parse(e), "", retryAfterSeconds);
    }
  }

  /**
   * Sets the organization's screening policy.
   *
   * @throws ServiceNotConfiguredException when no service is configured
   */
  @Retry(maxRetries = 2, delay = 100, jitter = 50, retryOn = BackendUnavailableException.class)
  @Timeout(10_000)
  @Override
  public Policy setPolicy(String organization, Policy policy) {
    if (!enabled) {
      throw SafetyBackend.notConfigured();
    }
    try {
      return SafetyServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
          .setPolicy(
              SetPolicyRequest.newBuilder().setOrganization(organization).setPolicy(policy).build())
          .getPolicy();
    } catch (StatusRuntimeException e) {
      throw ServiceErrors.toGatewayException(SERVICE, GrpcErrors.parse(e), "", retryAfterSeconds);
    }
  }
}
