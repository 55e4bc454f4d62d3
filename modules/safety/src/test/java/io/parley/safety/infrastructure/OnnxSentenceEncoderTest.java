package io.parley.safety.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.embeddings.domain.EmbeddingInput;
import java.util.List;
import org.junit.jupiter.api.Test;

class OnnxSentenceEncoderTest {

  @Test
  void encode_shortText_oneUnitVector() {
    var vectors = TestClassifier.encoder().encode(List.of("Hello there.")).join();
    assertThat(vectors).hasSize(1);
    assertThat(vectors.getFirst()).hasSize(1);
    double norm = 0;
    for (float v : vectors.getFirst().getFirst()) {
      norm += v * v;
    }
    assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
  }

  @Test
  void encode_longText_overlappingWindowsWithinTheModelsLength() {
    var text = "The quick brown fox jumps over the lazy dog. ".repeat(60);
    var windows = TestClassifier.encoder().windows(text);
    assertThat(windows.size()).isGreaterThan(2);
    for (var window : windows) {
      assertThat(((EmbeddingInput.Tokens) window).ids().length).isBetween(1, 254);
    }
    var vectors = TestClassifier.encoder().encode(List.of(text, "short")).join();
    assertThat(vectors.get(0)).hasSize(windows.size());
    assertThat(vectors.get(1)).hasSize(1);
  }
}
