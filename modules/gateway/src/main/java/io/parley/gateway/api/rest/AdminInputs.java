package io.parley.gateway.api.rest;

import io.parley.gateway.domain.InvalidRequestException;
import io.parley.gateway.domain.Role;
import java.util.regex.Pattern;

/**
 * Bounds on the inputs of the admin API, checked before anything is called: ids (in paths and
 * bodies) of at most {@value #MAX_ID} characters of {@code [A-Za-z0-9_-]}, names of at most {@value
 * #MAX_NAME} characters without control characters, e-mail addresses of at most {@value #MAX_EMAIL}
 * characters that look like one, at most {@value #MAX_MODEL_LIMITS} model limits with model ids of
 * at most {@value #MAX_MODEL} characters. The usage service checks the same bounds again.
 */
final class AdminInputs {

  static final int MAX_ID = 64;
  static final int MAX_NAME = 256;
  static final int MAX_EMAIL = 320;
  static final int MAX_MODEL = 256;
  static final int MAX_MODEL_LIMITS = 1_000;

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1," + MAX_ID + "}");
  private static final Pattern EMAIL =
      Pattern.compile("[^@\\s\\p{Cntrl}]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,253}[A-Za-z0-9])?");

  private AdminInputs() {}

  /** An id from a path or a body. */
  static String id(String value, String param) {
    if (value == null || value.length() > MAX_ID || !ID.matcher(value).matches()) {
      throw new InvalidRequestException(
          "Invalid '"
              + param
              + "': expected an id of at most "
              + MAX_ID
              + " letters, digits, '-' or '_'.",
          param,
          "invalid_value");
    }
    return value;
  }

  /** A display name. */
  static String name(String value, String param) {
    if (value.length() > MAX_NAME || value.chars().anyMatch(Character::isISOControl)) {
      throw new InvalidRequestException(
          "Invalid '"
              + param
              + "': at most "
              + MAX_NAME
              + " characters, without control characters.",
          param,
          "invalid_value");
    }
    return value.strip();
  }

  /** A required, non-blank display name. */
  static String requiredName(String value, String param) {
    if (value.isBlank()) {
      throw new InvalidRequestException(
          "'" + param + "' must not be empty.", param, "invalid_value");
    }
    return name(value, param);
  }

  /** An e-mail address. */
  static String email(String value, String param) {
    if (value.length() > MAX_EMAIL || !EMAIL.matcher(value.strip()).matches()) {
      throw new InvalidRequestException(
          "Invalid '"
              + param
              + "': expected an e-mail address of at most "
              + MAX_EMAIL
              + " characters.",
          param,
          "invalid_value");
    }
    return value.strip();
  }

  /** A person: a user id ({@code user-…}) or an e-mail address. */
  static String person(String value, String param) {
    return value.contains("@") ? email(value, param) : id(value, param);
  }

  /** {@code owner} or {@code reader}. */
  static Role role(String value) {
    return switch (value) {
      case "owner" -> Role.OWNER;
      case "reader" -> Role.READER;
      default ->
          throw new InvalidRequestException(
              "Invalid value for 'role': '"
                  + (value.length() > 32 ? value.substring(0, 32) + "…" : value)
                  + "'. Supported values are: owner, reader.",
              "role",
              "invalid_value");
    };
  }
}
