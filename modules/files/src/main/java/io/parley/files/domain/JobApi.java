package io.parley.files.domain;

/** Which API created a job: the shapes and the model id format differ. */
public enum JobApi {
  /** {@code /v1/fine_tuning/jobs}: {@code ft:<base>:<org>:<suffix>:<job>}. */
  FINE_TUNING,
  /** {@code /v1/fine-tunes}: {@code <base>:ft-<org>[:<suffix>]-<yyyy-MM-dd-HH-mm-ss>}. */
  LEGACY
}
