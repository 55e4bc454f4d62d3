package io.parley.files.domain;

/**
 * Raised when a job cannot make the asked change in its state (cancelling a job that has ended,
 * resuming a job that is not paused).
 */
public final class JobStateException extends FilesException {
  private static final long serialVersionUID = 1L;

  public JobStateException(String message) {
    super("invalid_job_state", message, null, null);
  }
}
