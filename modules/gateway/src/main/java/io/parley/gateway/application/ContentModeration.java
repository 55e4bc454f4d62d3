package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;
import io.parley.gateway.domain.BackendUnavailableException;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.ServiceUnavailableException;
import io.parley.safety.v1.ModerateRequest;
import io.parley.safety.v1.ModerateResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

/**
 * Classifies texts with the safety service. Moderation costs no tokens: it takes one request from
 * the caller's request-per-minute buckets and nothing from the token buckets or the budget; it is
 * recorded in the usage ledger with zero tokens (so zero cost) when a usage service is configured.
 */
@ApplicationScoped
public class ContentModeration {

  private SafetyBackend safety;
  private RateLimiter limiter;
  private int retryAfterSeconds;
  private Metering metering;

  /** For CDI proxies. */
  protected ContentModeration() {}

  /**
   * @param safety the safety service
   * @param limiter the rate limiter
   * @param metering records each moderation in the usage ledger (when a usage service is
   *     configured)
   * @param retryAfterSeconds {@code retry-after} of transient failures
   */
  @Inject
  public ContentModeration(
      SafetyBackend safety,
      RateLimiter limiter,
      Metering metering,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds) {
    this.safety = safety;
    this.limiter = limiter;
    this.metering = metering;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /**
   * Moderates the request's inputs for the caller.
   *
   * @param onDecision receives the rate-limit decision, for the response headers
   * @throws io.parley.gateway.domain.ServiceNotConfiguredException without a safety service
   * @throws io.parley.gateway.domain.RateLimitExceededException when a request limit refuses it
   */
  public ModerateResponse moderate(
      Caller caller, ModerateRequest request, Consumer<RateLimitDecision> onDecision) {
    if (!safety.enabled()) {
      throw SafetyBackend.notConfigured();
    }
    String model = request.getModel().isEmpty() ? null : request.getModel();
    var decision = limiter.admit(caller, model, 0);
    onDecision.accept(decision);
    if (!decision.allowed()) {
      throw decision.exception(model == null ? "moderations" : model, caller.organization());
    }
    try {
      var response = safety.moderate(request);
      if (metering.enabled()) {
        metering.record(
            request.getRequestId(), caller, response.getModel(), TokenUsage.getDefaultInstance());
      }
      return response;
    } catch (CircuitBreakerOpenException e) {
      throw BackendUnavailableException.of(SafetyBackend.SERVICE, retryAfterSeconds);
    } catch (TimeoutException e) {
      throw ServiceUnavailableException.timeout(retryAfterSeconds);
    }
  }
}
