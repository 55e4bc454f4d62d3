package io.parley.usage.domain;

/**
 * Raised by authentication when the organization asked for (the OpenAI-Organization header) is one
 * the key's user is not a member of.
 */
public final class MismatchedOrganizationException extends UsageException {
  private static final long serialVersionUID = 1L;

  public MismatchedOrganizationException() {
    super(
        "mismatched_organization",
        "The OpenAI-Organization header should match the organization of the API key,"
            + " or an organization its user is a member of.",
        null,
        null);
  }
}
