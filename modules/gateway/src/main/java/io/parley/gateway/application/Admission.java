package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;
import io.parley.gateway.domain.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Lets a generation run, or not: rate limits first (one request and the estimated tokens), then the
 * budget (the estimate's cost from the organization's leased budget, no call per request; see
 * {@link Metering}). The {@link Ticket} it hands out trues both up when the generation ends.
 */
@ApplicationScoped
public class Admission {

  private RateLimiter limiter;
  private Metering metering;

  /** For CDI proxies. */
  protected Admission() {}

  @Inject
  public Admission(RateLimiter limiter, Metering metering) {
    this.limiter = limiter;
    this.metering = metering;
  }

  /**
   * Admits a generation.
   *
   * @param onDecision receives the rate-limit decision before anything is thrown, for the response
   *     headers
   * @throws io.parley.gateway.domain.RateLimitExceededException when a limit refuses it
   * @throws io.parley.gateway.domain.QuotaExceededException when the budget refuses it
   */
  public Ticket admit(
      Caller caller,
      String requestId,
      String model,
      TokenEstimate estimate,
      java.util.function.Consumer<RateLimitDecision> onDecision) {
    var decision = limiter.admit(caller, model, estimate.total());
    onDecision.accept(decision);
    if (!decision.allowed()) {
      throw decision.exception(model, caller.organization());
    }
    var ticket = new Ticket(caller, model, estimate, decision);
    try {
      ticket.metered = metering.admit(requestId, caller, model, estimate).orElse(null);
    } catch (RuntimeException e) {
      ticket.refund();
      throw e;
    }
    return ticket;
  }

  /** The state of the caller's buckets, taking nothing; unlimited when they cannot be read. */
  public RateLimitDecision peek(Caller caller) {
    try {
      return limiter.peek(caller);
    } catch (RuntimeException e) {
      return RateLimitDecision.UNLIMITED;
    }
  }

  /**
   * An admitted generation; {@link #finish} or {@link #release} it once (later calls do nothing).
   */
  public final class Ticket {
    private final Caller caller;
    private final String model;
    private final TokenEstimate estimate;
    private final RateLimitDecision decision;
    private final AtomicBoolean done = new AtomicBoolean();
    private Metering.Metered metered;

    private Ticket(
        Caller caller, String model, TokenEstimate estimate, RateLimitDecision decision) {
      this.caller = caller;
      this.model = model;
      this.estimate = estimate;
      this.decision = decision;
    }

    /** The rate-limit decision that admitted it. */
    public RateLimitDecision decision() {
      return decision;
    }

    /** The tokens charged up front. */
    public TokenEstimate estimate() {
      return estimate;
    }

    /**
     * The generation ended (completed, failed, cancelled): the token buckets are trued up, the
     * unused part of the estimate goes back to the budget and the usage (zero for a generation that
     * used nothing) is written to the outbox, which bills it.
     */
    public void finish(TokenUsage actual) {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      limiter.correct(caller, model, (long) actual.getTotalTokens() - estimate.total());
      if (metered != null) {
        metering.finish(metered, actual);
      }
    }

    /**
     * Nothing ran (the generation could not start): the tokens and the budget go back; the request
     * is recorded with zero tokens.
     */
    public void release() {
      finish(TokenUsage.getDefaultInstance());
    }

    /**
     * Runs what the admitted request does; if it throws (nothing ran), {@link #release}s first.
     *
     * @return what {@code call} returned
     */
    public <T> T start(java.util.function.Supplier<T> call) {
      try {
        return call.get();
      } catch (RuntimeException e) {
        release();
        throw e;
      }
    }

    private void refund() {
      done.set(true);
      limiter.correct(caller, model, -estimate.total());
    }
  }
}
