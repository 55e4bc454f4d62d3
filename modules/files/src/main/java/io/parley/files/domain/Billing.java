package io.parley.files.domain;

/**
 * The usage ledger as fine-tuning sees it: a job's trained tokens are billed once, idempotent by a
 * request id derived from the job id (a retried or resumed job is never billed twice).
 */
public interface Billing {

  /** Whether a usage service is configured. */
  boolean enabled();

  /**
   * Records the tokens.
   *
   * @param requestId idempotency key
   * @throws StoreException when the usage service cannot be reached (retried later)
   */
  void bill(String requestId, String organization, String model, long trainedTokens);
}
