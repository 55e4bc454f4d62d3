package io.parley.files.domain;

/** Raised when a file to be deleted is used by a running job. */
public final class FileInUseException extends FilesException {
  private static final long serialVersionUID = 1L;

  public FileInUseException(String fileId, String user) {
    super(
        "file_in_use",
        "File " + fileId + " is used by " + user + " and cannot be deleted until it finishes.",
        "id",
        null);
  }
}
