package io.parley.safety.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.safety.domain.Category;
import org.junit.jupiter.api.Test;

class HeadsFileTest {

  @Test
  void bundled_coversEveryCategoryWithHeadsOfTheEncodersSize() {
    var model = HeadsFile.bundled();
    assertThat(model.id()).isEqualTo("parley-moderation-v1");
    assertThat(model.encoder()).isEqualTo(OnnxSentenceEncoder.ID);
    assertThat(model.dimensions()).isEqualTo(384);
    assertThat(model.rules()).containsOnlyKeys(Category.values());
    assertThat(model.heads()).containsKeys("abusive", "hate", "violence", "self-harm", "sexual");
    for (var head : model.heads().values()) {
      assertThat(head.weights()).hasSize(384);
      assertThat(head.threshold()).isBetween(0.0, 1.0);
    }
  }
}
