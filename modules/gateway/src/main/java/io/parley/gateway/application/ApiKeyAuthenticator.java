package io.parley.gateway.application;

import io.parley.gateway.domain.AuthenticationException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * Checks the bearer key of every {@code /v1} request against the bootstrap admin key. The key is
 * loaded (or generated) when the application starts, held only as its SHA-256 digest, and compared
 * in constant time.
 */
@ApplicationScoped
public class ApiKeyAuthenticator {

  private byte[] keyDigest;

  /** For CDI proxies. */
  protected ApiKeyAuthenticator() {}

  /**
   * Loads (or generates) the key and keeps only its digest.
   *
   * @param source where the bootstrap admin key comes from
   */
  @Inject
  public ApiKeyAuthenticator(AdminKeySource source) {
    this.keyDigest = sha256(source.adminKey());
  }

  void onStart(@Observes @Initialized(ApplicationScoped.class) Object event) {
    // Loads (or generates) the key at deployment rather than on the first request.
  }

  /**
   * Checks an {@code Authorization} header.
   *
   * @param authorization the header value, if any
   * @throws AuthenticationException when the key is missing or wrong
   */
  public void authenticate(Optional<String> authorization) {
    var key = authorization.flatMap(ApiKeyAuthenticator::bearerToken);
    if (key.isEmpty()) {
      throw AuthenticationException.missingKey();
    }
    if (!MessageDigest.isEqual(sha256(key.get()), keyDigest)) {
      throw AuthenticationException.incorrectKey(key.get());
    }
  }

  /** Whether a bearer token is the bootstrap admin key (constant-time comparison). */
  public boolean isAdminKey(String key) {
    return MessageDigest.isEqual(sha256(key), keyDigest);
  }

  /** The token of an {@code Authorization: Bearer …} header, if it is one. */
  public static Optional<String> bearerToken(String header) {
    var value = header.strip();
    if (value.length() > 7 && value.regionMatches(true, 0, "Bearer ", 0, 7)) {
      var token = value.substring(7).strip();
      return token.isEmpty() ? Optional.empty() : Optional.of(token);
    }
    return Optional.empty();
  }

  private static byte[] sha256(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
