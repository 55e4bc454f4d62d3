package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;
import io.parley.gateway.domain.Caller;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/**
 * The gateway's side of the usage ledger, with no call to the usage service per request. Before a
 * generation runs, its worst-case cost is taken from the organization's leased budget ({@link
 * BudgetLeases}) and the request is written to the {@link UsageOutbox}; when it ends, what it used
 * is written to the outbox (which sends it to the ledger in batches, exactly once) and the unused
 * part of the estimate goes back to the budget.
 *
 * <p>Without a usage service every method does nothing.
 */
@ApplicationScoped
public class Metering {

  private static final System.Logger LOG = System.getLogger(Metering.class.getName());

  private BudgetLeases leases;
  private UsageOutbox outbox;

  /** For CDI proxies. */
  protected Metering() {}

  /**
   * @param leases the organizations' budgets
   * @param outbox the journal the usage records leave from
   */
  @Inject
  public Metering(BudgetLeases leases, UsageOutbox outbox) {
    this.leases = leases;
    this.outbox = outbox;
  }

  /** Whether a usage service is configured. */
  public boolean enabled() {
    return leases.enabled();
  }

  /**
   * Charges a request's worst case and writes it down before it runs.
   *
   * @return what to {@link #finish} when the request ends; empty when nothing is metered
   * @throws io.parley.gateway.domain.QuotaExceededException past the organization's hard limit
   * @throws io.parley.gateway.domain.ServiceUnavailableException when the budget cannot be decided
   *     or the outbox cannot take the request
   */
  public java.util.Optional<Metered> admit(
      String requestId, Caller caller, String model, TokenEstimate estimate) {
    if (!enabled()) {
      return java.util.Optional.empty();
    }
    var estimated = estimate.toUsage();
    var charge = leases.charge(caller.organization(), model, estimated);
    try {
      outbox.admitted(
          new AdmittedUsage(
              requestId,
              caller.organization(),
              caller.apiKeyId(),
              model,
              estimated,
              charge.leaseId()));
    } catch (RuntimeException e) {
      leases.settle(charge, TokenUsage.getDefaultInstance());
      throw e;
    }
    return java.util.Optional.of(new Metered(requestId, charge));
  }

  /** A metered request ended having used {@code actual}: billed through the outbox. */
  public void finish(Metered metered, TokenUsage actual) {
    outbox.finished(metered.requestId(), actual);
    leases.settle(metered.charge(), actual);
  }

  /**
   * Records a request that is charged nothing up front and has already ended (a moderation), in the
   * ledger through the outbox.
   */
  public void record(String requestId, Caller caller, String model, TokenUsage actual) {
    if (!enabled()) {
      return;
    }
    try {
      outbox.admitted(
          new AdmittedUsage(
              requestId, caller.organization(), caller.apiKeyId(), model, actual, ""));
      outbox.finished(requestId, actual);
    } catch (RuntimeException e) {
      // The request was served already; failing its answer now would not unspend it.
      LOG.log(System.Logger.Level.WARNING, requestId + ": usage not written to the outbox: " + e);
    }
  }

  /**
   * A request admitted by {@link #admit}.
   *
   * @param requestId its request id
   * @param charge what its budget was charged
   */
  public record Metered(String requestId, BudgetLeases.Charge charge) {}
}
