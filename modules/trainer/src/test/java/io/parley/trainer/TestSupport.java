package io.parley.trainer;

import ai.djl.ndarray.NDArray;
import io.parley.llama.LlamaLibrary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** The test model and comparisons shared by the trainer's tests. */
public final class TestSupport {

  private TestSupport() {}

  /** {@code parley.test.model}, by default the shared stories260K model. */
  public static Path model() {
    Path path =
        Path.of(System.getProperty("parley.test.model", "../../../shared/models/stories260K.gguf"))
            .toAbsolutePath()
            .normalize();
    if (!Files.isRegularFile(path)) {
      throw new IllegalStateException("test model not found: " + path);
    }
    return path;
  }

  public static LlamaLibrary llama() {
    return LlamaLibrary.load(Optional.empty());
  }

  /** Largest absolute difference between llama.cpp's rows and {@code logits[0]}. */
  public static double maxAbsDiff(float[][] expected, NDArray logits) {
    float[] ours = logits.toFloatArray();
    int vocab = expected[0].length;
    double max = 0;
    for (int i = 0; i < expected.length; i++) {
      for (int v = 0; v < vocab; v++) {
        max = Math.max(max, Math.abs(expected[i][v] - ours[i * vocab + v]));
      }
    }
    return max;
  }
}
