package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;

/**
 * The durable journal between admission and the usage ledger: every admitted request is written
 * down before it runs and its usage when it ends, and both reach the usage service's ledger ({@code
 * RecordUsage}) in batches, off the request path, exactly once even if the gateway is killed in
 * between (an admitted request whose end was never written is billed, after a restart, at the
 * tokens it was admitted for).
 */
public interface UsageOutbox {

  /**
   * Writes down an admitted request before it runs.
   *
   * @throws io.parley.gateway.domain.ServiceUnavailableException when the journal cannot take it
   *     (it cannot be written, or it is full because the usage service has been away too long)
   */
  void admitted(AdmittedUsage admitted);

  /**
   * Writes down what an admitted request used; the record then goes to the usage service in the
   * next batch. A second call for the same request does nothing.
   */
  void finished(String requestId, TokenUsage actual);

  /** Requests admitted against a lease whose usage the ledger has not acknowledged yet. */
  long unrecorded(String leaseId);
}
