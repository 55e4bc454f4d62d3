package io.parley.gateway.domain;

/** Rules about API keys that do not depend on where keys are stored. */
public final class ApiKeys {

  /** Prefix of every key Parley issues. */
  public static final String PREFIX = "sk-parley-";

  private ApiKeys() {}

  /**
   * A key as it may appear in messages: the first five and the last four characters, a star for
   * each character between ({@code sk-ab***********wxyz}). Keys shorter than 12 characters are all
   * stars.
   */
  public static String mask(String key) {
    int length = key.length();
    if (length < 12) {
      return "*".repeat(length);
    }
    return key.substring(0, 5) + "*".repeat(length - 9) + key.substring(length - 4);
  }
}
