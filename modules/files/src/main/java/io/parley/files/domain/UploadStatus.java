package io.parley.files.domain;

/** State of a multi-part upload. */
public enum UploadStatus {
  /** Taking parts. */
  PENDING,
  /** Completed into a file. */
  COMPLETED,
  /** Cancelled. */
  CANCELLED,
  /** Not completed in time. */
  EXPIRED
}
