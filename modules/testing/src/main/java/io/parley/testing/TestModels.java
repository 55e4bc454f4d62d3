package io.parley.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the test model is: {@code ../shared/models/stories260K.gguf} beside the repository. */
public final class TestModels {

  private TestModels() {}

  /** The stories260K GGUF model (system property {@code parley.test.model} overrides). */
  public static Path stories260k() {
    var path =
        Path.of(System.getProperty("parley.test.model", "../../../shared/models/stories260K.gguf"))
            .toAbsolutePath()
            .normalize();
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("Test model not found at " + path);
    }
    return path;
  }
}
