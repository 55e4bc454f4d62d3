package io.parley.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.llama.ChatTurn;
import io.parley.llama.LlamaAdapter;
import io.parley.llama.LlamaModel;
import io.parley.trainer.TestSupport;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * It learns: 30 examples that always answer {@link TestSupport#ANSWER}; the loss falls by at least
 * half, and greedy decoding through llama.cpp with the written adapter gives the answer while the
 * base model does not. Once for chat files, once for legacy prompt/completion files.
 */
class GardenTest {

  @TempDir Path dir;

  @Test
  void chat() throws Exception {
    Path data = TestSupport.gardenChat(dir);
    Trainer.Outcome outcome = train(data, dir.resolve("chat"));
    try (LlamaModel ref =
        LlamaModel.loadForLogits(TestSupport.llama(), TestSupport.model(), 256, 2)) {
      String prompt = ref.renderChat(List.of(new ChatTurn("user", "Where is the garden?")), true);
      // tokenized as serving tokenizes chat prompts
      assertLearned(ref, ref.tokenize(prompt, true, true), outcome);
      assertTrainedAdapterGivesDjlLogits(
          ref, ref.tokenize(prompt + TestSupport.ANSWER, true, true), outcome);
    }
    assertFiles(dir.resolve("chat"), outcome);
  }

  @Test
  void promptCompletion() throws Exception {
    Path data = TestSupport.gardenCompletion(dir);
    Trainer.Outcome outcome = train(data, dir.resolve("legacy"));
    try (LlamaModel ref =
        LlamaModel.loadForLogits(TestSupport.llama(), TestSupport.model(), 256, 2)) {
      assertLearned(ref, ref.tokenize("Q: Where is the garden?\nA:", true, false), outcome);
    }
  }

  private static Trainer.Outcome train(Path data, Path out) {
    Trainer.Outcome outcome =
        new Trainer(
                new Trainer.Request(
                    TestSupport.model(),
                    data,
                    Optional.of(data),
                    out,
                    Hyperparameters.defaults(),
                    Optional.empty(),
                    Optional.empty(),
                    0),
                () -> false,
                Trainer.progress(System.out))
            .run();
    assertThat(outcome.status()).isEqualTo(Trainer.Status.SUCCEEDED);
    // auto: 30 examples -> 4 epochs (at least 100 example passes), batch 1
    assertThat(outcome.resolved()).isEqualTo(new Hyperparameters.Resolved(4, 1, 1.0));
    assertThat(outcome.steps()).isEqualTo(120);
    List<StepMetrics> m = outcome.metrics();
    double first =
        m.subList(0, 5).stream().mapToDouble(StepMetrics::trainLoss).average().orElseThrow();
    double last =
        m.subList(m.size() - 5, m.size()).stream()
            .mapToDouble(StepMetrics::trainLoss)
            .average()
            .orElseThrow();
    System.out.printf("loss %.4f -> %.4f%n", first, last);
    assertThat(last).isLessThanOrEqualTo(first / 2);
    return outcome;
  }

  private static void assertLearned(LlamaModel ref, int[] prompt, Trainer.Outcome outcome) {
    String base = ref.detokenize(ref.greedy(prompt, 24));
    String tuned;
    try (LlamaAdapter adapter = ref.loadAdapter(outcome.adapter())) {
      ref.setAdapter(adapter, 1f);
      tuned = ref.detokenize(ref.greedy(prompt, 24));
      ref.clearAdapters();
    }
    System.out.println("base:  " + base);
    System.out.println("tuned: " + tuned);
    assertThat(base).doesNotContain(TestSupport.ANSWER);
    assertThat(tuned.strip()).startsWith(TestSupport.ANSWER);
  }

  /** The trained adapter in llama.cpp and its values in the DJL model give the same logits. */
  private static void assertTrainedAdapterGivesDjlLogits(
      LlamaModel ref, int[] tokens, Trainer.Outcome outcome) {
    float[][] expected;
    try (LlamaAdapter adapter = ref.loadAdapter(outcome.adapter())) {
      ref.setAdapter(adapter, 1f);
      expected = ref.logitsAll(tokens);
      ref.clearAdapters();
    }
    var pairs = io.parley.trainer.lora.LoraAdapterFile.read(outcome.adapter());
    try (var gguf = io.parley.trainer.gguf.GgufFile.open(TestSupport.model());
        var net =
            io.parley.trainer.model.LlamaNet.load(
                gguf,
                ai.djl.ndarray.NDManager.newBaseManager(),
                Hyperparameters.defaults().lora(),
                true,
                1);
        var sub = ai.djl.ndarray.NDManager.newBaseManager()) {
      assertThat(pairs).hasSize(net.loras().size());
      for (int i = 0; i < pairs.size(); i++) {
        assertThat(pairs.get(i).name()).isEqualTo(net.loras().get(i).name);
        net.setLora(i, pairs.get(i).a(), pairs.get(i).b());
      }
      double diff = TestSupport.maxAbsDiff(expected, net.forward(sub, new int[][] {tokens}));
      System.out.printf("trained adapter: DJL vs llama.cpp max |delta| %.3g%n", diff);
      assertThat(diff).isLessThanOrEqualTo(1e-3);
    }
  }

  private static void assertFiles(Path out, Trainer.Outcome outcome) throws Exception {
    List<String> metrics = Files.readAllLines(out.resolve(Trainer.METRICS), StandardCharsets.UTF_8);
    assertThat(metrics).hasSize(120);
    var json = new ObjectMapper().readTree(metrics.get(29));
    assertThat(json.fieldNames())
        .toIterable()
        .contains(
            "step",
            "train_loss",
            "train_mean_token_accuracy",
            "valid_loss",
            "valid_mean_token_accuracy",
            "learning_rate",
            "tokens");
    assertThat(json.get("step").asInt()).isEqualTo(30);
    assertThat(json.get("valid_loss").isNumber()).isTrue(); // end of epoch 1
    assertThat(new ObjectMapper().readTree(metrics.get(0)).get("valid_loss").isNull()).isTrue();
    List<String> csv = Files.readAllLines(out.resolve(Trainer.RESULTS), StandardCharsets.UTF_8);
    assertThat(csv.get(0))
        .isEqualTo("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy");
    assertThat(csv).hasSize(121);
    for (int epoch = 1; epoch <= 4; epoch++) {
      Path c = out.resolve("checkpoints").resolve("epoch-" + epoch);
      assertThat(c.resolve(Trainer.ADAPTER)).isRegularFile();
      assertThat(c.resolve(Checkpoint.FILE)).isRegularFile();
    }
    assertThat(outcome.trainedTokens()).isPositive();
  }
}
