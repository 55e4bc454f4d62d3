package io.parley.common.runtime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A secret a service reads from a file mounted from a Kubernetes Secret (a token, a password): at
 * most {@link #MAX_BYTES}, surrounding white space ignored, never empty. Errors name the setting
 * and the file, never the content.
 */
public final class SecretFile {

  /** Longest secret accepted, in bytes: anything larger is a wrong file, not a secret. */
  public static final int MAX_BYTES = 4096;

  private SecretFile() {}

  /**
   * Reads a secret.
   *
   * @param setting the configuration key that named the file, for error messages
   * @param file the file
   * @throws IllegalArgumentException when the file is empty or longer than {@link #MAX_BYTES}
   * @throws UncheckedIOException when it cannot be read
   */
  public static String read(String setting, Path file) {
    try {
      if (Files.size(file) > MAX_BYTES) {
        throw new IllegalArgumentException(
            setting + " " + file + " is longer than " + MAX_BYTES + " bytes");
      }
      var value = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (value.isEmpty()) {
        throw new IllegalArgumentException(setting + " " + file + " is empty");
      }
      return value;
    } catch (IOException e) {
      throw new UncheckedIOException(setting + " " + file + " cannot be read", e);
    }
  }
}
