package io.parley.files.domain;

/** Validation state of a file. */
public enum FileStatus {
  /** Stored, not validated yet. */
  UPLOADED,
  /** Validated, or stored as is. */
  PROCESSED,
  /** Validation failed. */
  ERROR
}
