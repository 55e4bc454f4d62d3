package io.parley.common.ids;

import java.security.SecureRandom;

/**
 * OpenAI-style identifiers: a prefix such as {@code chatcmpl-} and 24 random base-62 characters.
 */
public final class Ids {

  private static final char[] ALPHABET =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
  private static final SecureRandom RANDOM = new SecureRandom();

  private Ids() {}

  /** A new identifier with the given prefix (for example {@code "chatcmpl-"}). */
  public static String next(String prefix) {
    return prefix + randomChars(24);
  }

  /** {@code count} random base-62 characters from a secure source. */
  public static String randomChars(int count) {
    var chars = new char[count];
    for (int i = 0; i < count; i++) {
      chars[i] = ALPHABET[RANDOM.nextInt(ALPHABET.length)];
    }
    return new String(chars);
  }
}
