package io.parley.files.domain;

/** State of a fine-tuning job. */
public enum JobStatus {
  /** Files being checked (not used: files are checked when the job is created). */
  VALIDATING_FILES,
  /** Waiting for a worker. */
  QUEUED,
  /** Claimed by a worker and training. */
  RUNNING,
  /** The model is registered. */
  SUCCEEDED,
  /** Failed (see the error). */
  FAILED,
  /** Cancelled by its owner. */
  CANCELLED,
  /** Paused by its owner; resumes from its last checkpoint. */
  PAUSED;

  /** Whether the job has ended for good. */
  public boolean terminal() {
    return this == SUCCEEDED || this == FAILED || this == CANCELLED;
  }
}
