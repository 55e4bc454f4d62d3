package io.parley.usage.domain;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Bounds on every identifier, name and address the service stores, checked before anything is read
 * or written (the gateway checks the same bounds first; these are the second line). Values past a
 * bound are refused with {@link InvalidUsageRequestException}, never truncated.
 */
public final class Inputs {

  /** Longest id ({@code org-…}, {@code user-…}, {@code key-…}, {@code invite-…}). */
  public static final int MAX_ID = 64;

  /** Longest display name (organizations, keys, service accounts). */
  public static final int MAX_NAME = 256;

  /** Longest e-mail address (RFC 5321: 64 + 1 + 255). */
  public static final int MAX_EMAIL = 320;

  /** Longest model id in limits. */
  public static final int MAX_MODEL = 256;

  /** Most per-model limits of one organization. */
  public static final int MAX_MODEL_LIMITS = 1_000;

  private static final Pattern EMAIL =
      Pattern.compile("[^@\\s\\p{Cntrl}]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?");
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]+");

  private Inputs() {}

  /** A required id: present, at most {@link #MAX_ID} characters of {@code [A-Za-z0-9_-]}. */
  public static String id(String value, String param) {
    var v = required(value, param);
    if (v.length() > MAX_ID || !ID.matcher(v).matches()) {
      throw new InvalidUsageRequestException("Invalid value for '" + param + "'.", param);
    }
    return v;
  }

  /** An optional display name: at most {@link #MAX_NAME} characters, no control characters. */
  public static String name(String value, String param) {
    var v = value == null ? "" : value.strip();
    if (v.length() > MAX_NAME || v.chars().anyMatch(Character::isISOControl)) {
      throw new InvalidUsageRequestException(
          "'"
              + param
              + "' must be at most "
              + MAX_NAME
              + " characters, without control characters.",
          param);
    }
    return v;
  }

  /** A required display name. */
  public static String requiredName(String value, String param) {
    required(value, param);
    return name(value, param);
  }

  /** A valid e-mail address of at most {@link #MAX_EMAIL} characters, in lower case. */
  public static String email(String value, String param) {
    var v = required(value, param);
    if (v.length() > MAX_EMAIL || !EMAIL.matcher(v).matches()) {
      throw new InvalidUsageRequestException(
          "'" + param + "' must be a valid e-mail address of at most " + MAX_EMAIL + " characters.",
          param);
    }
    return v.toLowerCase(Locale.ROOT);
  }

  /** Whether a value looks like an e-mail address rather than an id. */
  public static boolean isEmail(String value) {
    return value != null && value.contains("@");
  }

  private static String required(String value, String param) {
    if (value == null || value.isBlank()) {
      throw new InvalidUsageRequestException(param + " is required.", param);
    }
    return value.strip();
  }
}
