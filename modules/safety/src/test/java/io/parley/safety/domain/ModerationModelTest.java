package io.parley.safety.domain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModerationModelTest {

  // Two-dimensional heads: "a" reads the first coordinate, "b" the second.
  private static final LinearHead A = new LinearHead("a", new float[] {10, 0}, -5, 0.5);
  private static final LinearHead B = new LinearHead("b", new float[] {0, 10}, -5, 0.6);

  private static ModerationModel model() {
    var rules = new EnumMap<Category, CategoryRule>(Category.class);
    for (var category : Category.values()) {
      rules.put(category, new CategoryRule(category, List.of("a")));
    }
    rules.put(
        Category.HATE_THREATENING, new CategoryRule(Category.HATE_THREATENING, List.of("a", "b")));
    return new ModerationModel("m", "enc", 2, Map.of("a", A, "b", B), rules);
  }

  @Test
  void classify_subCategory_needsEveryHeadAndScoresTheLowest() {
    var onlyA = model().classify(List.of(new float[] {1, 0}));
    assertThat(onlyA.categories().get(Category.HATE)).isTrue();
    assertThat(onlyA.categories().get(Category.HATE_THREATENING)).isFalse();
    assertThat(onlyA.scores().get(Category.HATE_THREATENING))
        .isEqualTo(B.score(new float[] {1, 0}));
    assertThat(onlyA.flagged()).isTrue();

    var both = model().classify(List.of(new float[] {1, 1}));
    assertThat(both.categories().get(Category.HATE_THREATENING)).isTrue();
  }

  @Test
  void classify_windows_takesTheHighestScoreAndAnyFlag() {
    var result = model().classify(List.of(new float[] {0, 0}, new float[] {1, 0}));
    assertThat(result.categories().get(Category.HATE)).isTrue();
    assertThat(result.scores().get(Category.HATE)).isEqualTo(A.score(new float[] {1, 0}));
    assertThat(result.categories()).containsOnlyKeys(Category.values());
    assertThat(result.scores()).containsOnlyKeys(Category.values());
  }

  @Test
  void classify_benignVector_flagsNothing() {
    var result = model().classify(List.of(new float[] {0, 0}));
    assertThat(result.flagged()).isFalse();
    assertThat(result.categories().values()).containsOnly(false);
  }

  @Test
  void model_missingHead_isRefused() {
    var rules = new EnumMap<Category, CategoryRule>(Category.class);
    for (var category : Category.values()) {
      rules.put(category, new CategoryRule(category, List.of("missing")));
    }
    assertThatThrownBy(() -> new ModerationModel("m", "enc", 2, Map.of("a", A), rules))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("missing");
  }
}
