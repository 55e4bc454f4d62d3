package io.parley.files.domain;

/** Raised when a file, part or upload is larger than the service accepts. */
public final class FileTooLargeException extends FilesException {
  private static final long serialVersionUID = 1L;

  public FileTooLargeException(String message, String param) {
    super("file_too_large", message, param, null);
  }
}
