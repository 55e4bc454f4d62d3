package io.parley.files.domain;

/**
 * Who asks, as the gateway authenticated them.
 *
 * @param organization the organization the request runs in
 * @param user the user behind the key; empty for the installation's admin key
 */
public record Caller(String organization, String user) {

  /**
   * @throws InvalidFileRequestException when no organization is named
   */
  public Caller {
    if (organization == null || organization.isBlank() || organization.length() > 64) {
      throw new InvalidFileRequestException("An organization is required.", "organization");
    }
    user = user == null ? "" : user;
  }
}
