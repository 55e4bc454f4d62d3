package io.parley.safety.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.safety.domain.Category;
import io.parley.safety.domain.InvalidSafetyRequestException;
import io.parley.safety.domain.ModelNotFoundException;
import io.parley.safety.infrastructure.TestClassifier;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModerateUseCaseTest {

  private final ModerateUseCase moderate =
      new ModerateUseCase(TestClassifier.model(), TestClassifier.encoder(), 8, 2000);

  @Test
  void moderate_abusiveText_flagsHarassment() {
    var result =
        moderate
            .moderate("", List.of("You are a worthless idiot and everyone hates you."))
            .join()
            .results()
            .getFirst();
    assertThat(result.flagged()).isTrue();
    assertThat(result.categories().get(Category.HARASSMENT)).isTrue();
  }

  @Test
  void moderate_hatefulText_flagsHate() {
    var result =
        moderate
            .moderate("", List.of("All immigrants are vermin and should be thrown out."))
            .join();
    assertThat(result.results().getFirst().categories().get(Category.HATE)).isTrue();
  }

  @Test
  void moderate_selfHarmText_flagsSelfHarm() {
    var result = moderate.moderate("", List.of("I want to kill myself tonight.")).join();
    assertThat(result.results().getFirst().categories().get(Category.SELF_HARM)).isTrue();
  }

  @Test
  void moderate_benignTexts_flagsNothing() {
    var benign =
        List.of(
            "Could you recommend a good recipe for banana bread?",
            "The meeting has been moved to Thursday at 10am.",
            "I really enjoyed the concert last night, the band was great.");
    var moderation = moderate.moderate("", benign).join();
    assertThat(moderation.results()).hasSize(3);
    assertThat(moderation.results()).allSatisfy(r -> assertThat(r.flagged()).isFalse());
  }

  @Test
  void moderate_openAiModelName_isServedByTheBundledModel() {
    var moderation = moderate.moderate("text-moderation-latest", List.of("hello")).join();
    assertThat(moderation.model()).isEqualTo("parley-moderation-v1");
  }

  @Test
  void moderate_unknownModel_isModelNotFound() {
    assertThatThrownBy(() -> moderate.moderate("gpt-4", List.of("hello")))
        .isInstanceOf(ModelNotFoundException.class)
        .satisfies(e -> assertThat(((ModelNotFoundException) e).param()).contains("model"));
  }

  @Test
  void moderate_badInputs_areInvalidInput() {
    for (var inputs :
        List.of(
            List.<String>of(),
            List.of("fine", ""),
            Collections.nCopies(9, "too many"),
            List.of("x".repeat(2001)))) {
      assertThatThrownBy(() -> moderate.moderate("", inputs))
          .isInstanceOf(InvalidSafetyRequestException.class)
          .satisfies(
              e -> assertThat(((InvalidSafetyRequestException) e).param()).contains("input"));
    }
  }
}
