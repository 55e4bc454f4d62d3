package io.parley.usage.domain;

import java.util.Optional;

/**
 * Base of every error the usage service reports. Each subclass says when it is raised; the gRPC
 * edge maps the family to statuses in one place.
 */
public abstract sealed class UsageException extends RuntimeException
    permits InvalidApiKeyException,
        MismatchedOrganizationException,
        InsufficientQuotaException,
        NotFoundException,
        InvalidUsageRequestException,
        ConflictException,
        ForbiddenException,
        StoreException {
  private static final long serialVersionUID = 1L;

  private final String reason;
  private final String param;

  protected UsageException(String reason, String message, String param, Throwable cause) {
    super(message, cause);
    this.reason = reason;
    this.param = param;
  }

  /** Machine-readable reason, used as the OpenAI error code (e.g. {@code insufficient_quota}). */
  public String reason() {
    return reason;
  }

  /** The request field at fault, if any. */
  public Optional<String> param() {
    return Optional.ofNullable(param);
  }
}
