package io.parley.inference.infrastructure.llama;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** Locates the test model and builds engine configurations for it. */
final class TestModels {

  private TestModels() {}

  /**
   * {@code parley.test.model}, by default the shared stories260K model relative to the module
   * directory.
   */
  static Path model() {
    Path path =
        Path.of(System.getProperty("parley.test.model", "../../../shared/models/stories260K.gguf"))
            .toAbsolutePath()
            .normalize();
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException(
          "test model not found: " + path + " (set -Dparley.test.model)");
    }
    return path;
  }

  static LlamaEngineConfig config(int slots) {
    return new LlamaEngineConfig(
        "stories260K", model(), slots, 0, 2, 512, 16, Duration.ofSeconds(30), Optional.empty());
  }
}
