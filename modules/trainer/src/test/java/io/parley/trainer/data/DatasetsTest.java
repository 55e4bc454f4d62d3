package io.parley.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.llama.ChatTurn;
import io.parley.llama.LlamaModel;
import io.parley.trainer.TestSupport;
import io.parley.trainer.TrainerException;
import io.parley.trainer.train.Hyperparameters;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tokenization of training files and their validation, and the automatic hyperparameters. */
class DatasetsTest {

  @TempDir Path dir;

  @Test
  void chatExamplesStartWithTheServedPromptAndTrainOnlyTheAnswer() throws Exception {
    Path file = TestSupport.gardenChat(dir);
    try (LlamaModel tok = LlamaModel.load(TestSupport.llama(), TestSupport.model(), 0, 0, 0, 0)) {
      Datasets.Loaded loaded = Datasets.load(file, tok, 0.01f, 1024);
      assertThat(loaded.format()).isEqualTo(Datasets.Format.CHAT);
      assertThat(loaded.examples()).hasSize(30);
      Example e = loaded.examples().getFirst();
      // the prompt tokens are exactly what serving feeds the model for this conversation
      int[] served =
          tok.tokenize(
              tok.renderChat(List.of(new ChatTurn("user", TestSupport.QUESTIONS.getFirst())), true),
              true,
              true);
      assertThat(Arrays.copyOf(e.tokens(), served.length)).isEqualTo(served);
      for (int i = 0; i < e.tokens().length; i++) {
        assertThat(e.weights()[i]).isEqualTo(i < served.length ? 0f : 1f);
      }
      int[] answer = Arrays.copyOfRange(e.tokens(), served.length, e.tokens().length);
      assertThat(tok.detokenize(answer)).contains(TestSupport.ANSWER);
    }
  }

  @Test
  void promptTokensCarryThePromptLossWeight() throws Exception {
    Path file = TestSupport.gardenCompletion(dir);
    try (LlamaModel tok = LlamaModel.load(TestSupport.llama(), TestSupport.model(), 0, 0, 0, 0)) {
      Example e = Datasets.load(file, tok, 0.25f, 1024).examples().getFirst();
      int prompt =
          tok.tokenize("Q: " + TestSupport.QUESTIONS.getFirst() + "\nA:", true, false).length;
      assertThat(e.weights()[0]).isEqualTo(0.25f);
      assertThat(e.weights()[prompt - 1]).isEqualTo(0.25f);
      assertThat(e.weights()[prompt]).isEqualTo(1f);
      assertThat(e.scored()[prompt - 1]).isFalse();
      assertThat(e.scored()[prompt]).isTrue();
    }
  }

  @Test
  void badFilesAreRefusedWithTheLine() throws Exception {
    try (LlamaModel tok = LlamaModel.load(TestSupport.llama(), TestSupport.model(), 0, 0, 0, 0)) {
      assertRefused(
          tok, "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", "no assistant message");
      assertRefused(tok, "[1,2]", "line 1 is not a JSON object");
      assertRefused(tok, "{\"prompt\":\"a\"}", "line 1: expected string fields");
      assertRefused(
          tok,
          "{\"prompt\":\"a\",\"completion\":\"b\"}\n{\"messages\":[{\"role\":\"assistant\",\"content\":\"x\"}]}",
          "line 2 mixes");
      assertRefused(
          tok,
          "{\"messages\":[{\"role\":\"wizard\",\"content\":\"x\"}]}",
          "each message needs a role");
      assertRefused(tok, "\n\n", "has no examples");
    }
  }

  @Test
  void automaticHyperparametersFollowTheDatasetSize() {
    Hyperparameters hp = Hyperparameters.defaults();
    assertThat(hp.resolve(30)).isEqualTo(new Hyperparameters.Resolved(4, 1, 1.0));
    assertThat(hp.resolve(10)).isEqualTo(new Hyperparameters.Resolved(10, 1, 1.0));
    assertThat(hp.resolve(1000)).isEqualTo(new Hyperparameters.Resolved(3, 2, 1.0));
    assertThat(hp.resolve(20000)).isEqualTo(new Hyperparameters.Resolved(1, 40, 2.0));
    assertThat(hp.resolve(1)).isEqualTo(new Hyperparameters.Resolved(25, 1, 1.0));
  }

  private void assertRefused(LlamaModel tok, String content, String message) throws Exception {
    Path file = Files.writeString(dir.resolve("f.jsonl"), content);
    assertThatThrownBy(() -> Datasets.load(file, tok, 0.01f, 1024))
        .isInstanceOf(TrainerException.class)
        .hasMessageContaining(message);
  }
}
