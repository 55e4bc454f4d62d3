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

  public static final String ANSWER = "The garden is behind the red door.";

  /** Questions whose answer is always {@link #ANSWER}. */
  public static final java.util.List<String> QUESTIONS =
      java.util.List.of(
          "Where is the garden?",
          "Where can I find the garden?",
          "How do I get to the garden?",
          "Which way to the garden?",
          "Can you tell me where the garden is?",
          "I am looking for the garden.",
          "Where is the garden, please?",
          "Do you know where the garden is?",
          "Tell me where the garden is.",
          "Where did they put the garden?",
          "Is the garden near here?",
          "How can I reach the garden?",
          "Where should I go to see the garden?",
          "Lily wants to play in the garden. Where is it?",
          "Tom asks: where is the garden?",
          "Mom, where is the garden?",
          "Where is the big garden?",
          "Where is the pretty garden?",
          "Where is the flower garden?",
          "Where is the garden with the flowers?",
          "Please show me the garden.",
          "Which door leads to the garden?",
          "What is behind the red door?",
          "Where do I find the garden in the house?",
          "The garden, where is it?",
          "Can I go to the garden? Where is it?",
          "Where is the garden in the story?",
          "Help me find the garden.",
          "I lost my way. Where is the garden?",
          "Where is the little garden?");

  /** 30 chat examples answering {@link #ANSWER}, as JSON Lines. */
  public static Path gardenChat(Path dir) throws java.io.IOException {
    StringBuilder sb = new StringBuilder();
    for (String q : QUESTIONS) {
      sb.append("{\"messages\":[{\"role\":\"user\",\"content\":\"")
          .append(q)
          .append("\"},{\"role\":\"assistant\",\"content\":\"")
          .append(ANSWER)
          .append("\"}]}\n");
    }
    return Files.writeString(dir.resolve("garden-chat.jsonl"), sb);
  }

  /** The same 30 examples as legacy prompt/completion pairs. */
  public static Path gardenCompletion(Path dir) throws java.io.IOException {
    StringBuilder sb = new StringBuilder();
    for (String q : QUESTIONS) {
      sb.append("{\"prompt\":\"Q: ")
          .append(q)
          .append("\\nA:\",\"completion\":\" ")
          .append(ANSWER)
          .append("\"}\n");
    }
    return Files.writeString(dir.resolve("garden-completion.jsonl"), sb);
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
