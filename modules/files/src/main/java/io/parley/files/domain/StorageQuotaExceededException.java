package io.parley.files.domain;

/** Raised when a file would take an organization past its storage quota. */
public final class StorageQuotaExceededException extends FilesException {
  private static final long serialVersionUID = 1L;

  public StorageQuotaExceededException(long stored, long adding, long quota) {
    super(
        "insufficient_quota",
        "Storage quota exceeded: the organization stores "
            + stored
            + " bytes in files, this file adds "
            + adding
            + " and the quota is "
            + quota
            + " bytes. Delete files to make room.",
        "file",
        null);
  }
}
