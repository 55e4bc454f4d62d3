package io.parley.gateway.domain;

/** The API key is missing or wrong (HTTP 401). Raised before any other work on a request. */
public class AuthenticationException extends GatewayException {

  /**
   * @param message what is wrong (never the whole key)
   * @param code {@code invalid_api_key} for a wrong key, {@code mismatched_organization} for an
   *     organization the key cannot use, {@code null} when none was sent
   */
  public AuthenticationException(String message, String code) {
    super(401, INVALID_REQUEST, code, null, message);
  }

  /** No key in the request. */
  public static AuthenticationException missingKey() {
    return new AuthenticationException(
        "You didn't provide an API key. You need to provide your API key in an Authorization"
            + " header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        null);
  }

  /** A key that is not valid; the message shows it masked. */
  public static AuthenticationException incorrectKey(String presented) {
    return new AuthenticationException(
        "Incorrect API key provided: "
            + ApiKeys.mask(presented)
            + ". You can find your API key in the admin key file of your Parley installation.",
        "invalid_api_key");
  }

  /** The {@code OpenAI-Organization} header names an organization the key cannot be used in. */
  public static AuthenticationException mismatchedOrganization() {
    return new AuthenticationException(
        "OpenAI-Organization header should match organization for API key",
        "mismatched_organization");
  }
}
