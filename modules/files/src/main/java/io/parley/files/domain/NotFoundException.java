package io.parley.files.domain;

/**
 * Raised when a file, upload or part does not exist in the caller's organization (a file of another
 * organization is reported the same way, so ids do not leak).
 */
public final class NotFoundException extends FilesException {
  private static final long serialVersionUID = 1L;

  public NotFoundException(String message, String param) {
    super("not_found", message, param, null);
  }

  /** No such file. */
  public static NotFoundException file(String id) {
    return new NotFoundException("No such File object: " + shown(id), "id");
  }

  /** No such upload. */
  public static NotFoundException upload(String id) {
    return new NotFoundException("No such Upload object: " + shown(id), "upload_id");
  }

  /** No such fine-tuning job. */
  public static NotFoundException job(String id) {
    return new NotFoundException("No such fine-tuning job: " + shown(id), "fine_tuning_job_id");
  }

  /** No such fine-tuned model. */
  public static NotFoundException model(String id) {
    return new NotFoundException("The model '" + shown(id) + "' does not exist", "model");
  }

  /** An id as a message may repeat it: at most 64 characters, control characters replaced. */
  public static String shown(String id) {
    var cut = id.length() > 64 ? id.substring(0, 64) + "…" : id;
    return cut.codePoints()
        .map(c -> Character.isISOControl(c) ? '?' : c)
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append)
        .toString();
  }
}
