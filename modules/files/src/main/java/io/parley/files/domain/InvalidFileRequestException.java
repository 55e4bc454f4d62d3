package io.parley.files.domain;

/**
 * Raised when a request field is missing or unusable, or when a fine-tune file fails validation
 * (param {@code file}, the message naming the line and the key).
 */
public final class InvalidFileRequestException extends FilesException {
  private static final long serialVersionUID = 1L;

  public InvalidFileRequestException(String message, String param) {
    super("invalid_value", message, param, null);
  }

  public InvalidFileRequestException(String reason, String message, String param) {
    super(reason, message, param, null);
  }
}
