package io.parley.usage.application;

import io.parley.common.ids.Ids;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** How API key secrets are made, hashed, looked up and shown. */
public final class ApiKeySecrets {

  /** Prefix of every secret. */
  public static final String PREFIX = "sk-";

  /** Characters of a secret that index it (the prefix and 8 random characters). */
  public static final int LOOKUP_LENGTH = 11;

  private static final int RANDOM_CHARS = 48;

  private ApiKeySecrets() {}

  /** A new random secret. */
  public static String generate() {
    return PREFIX + Ids.randomChars(RANDOM_CHARS);
  }

  /** Whether a presented value can be a key at all. */
  public static boolean wellFormed(String secret) {
    return secret.startsWith(PREFIX)
        && secret.length() >= LOOKUP_LENGTH + 8
        && secret.length() <= 256;
  }

  /** SHA-256 of the secret. */
  public static byte[] hash(String secret) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is unavailable", e);
    }
  }

  /** The lookup prefix stored beside the hash. */
  public static String lookupPrefix(String secret) {
    return secret.substring(0, LOOKUP_LENGTH);
  }

  /** The value shown in listings: the first seven and the last four characters. */
  public static String redact(String secret) {
    return secret.substring(0, 7) + "…" + secret.substring(secret.length() - 4);
  }

  /** Constant-time comparison of two hashes. */
  public static boolean matches(byte[] expected, byte[] actual) {
    return MessageDigest.isEqual(expected, actual);
  }
}
