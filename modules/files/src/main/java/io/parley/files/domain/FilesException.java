package io.parley.files.domain;

import java.util.Optional;

/**
 * Base of every error the files service reports. Each subclass says when it is raised; the gRPC
 * edge maps the family to statuses in one place.
 */
public abstract sealed class FilesException extends RuntimeException
    permits NotFoundException,
        InvalidFileRequestException,
        FileInUseException,
        FileTooLargeException,
        StorageQuotaExceededException,
        JobStateException,
        StoreException {
  private static final long serialVersionUID = 1L;

  private final String reason;
  private final String param;

  protected FilesException(String reason, String message, String param, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.param = param;
  }

  /** Machine-readable reason, used as the OpenAI error code. */
  public String reason() {
    return reason;
  }

  /** The request field at fault, if any. */
  public Optional<String> param() {
    return Optional.ofNullable(param);
  }
}
