package io.parley.trainer.lora;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import io.parley.llama.LlamaAdapter;
import io.parley.llama.LlamaModel;
import io.parley.trainer.TestSupport;
import io.parley.trainer.gguf.GgufFile;
import io.parley.trainer.model.LlamaNet;
import io.parley.trainer.model.LoraOptions;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Adapters written by the trainer load into llama.cpp ({@code llama_adapter_lora_init}), and
 * applied with {@code llama_set_adapter_lora} give the DJL model's logits with the same LoRA.
 */
class AdapterMatchesLlamaCppTest {

  private static final String TEXT = "Lily and Ben went to the park to play with the ball.";

  @TempDir Path dir;

  @Test
  void adapterGivesTheDjlLogits() {
    check(new LoraOptions(8, 16f, true), false, dir.resolve("random.gguf"));
  }

  @Test
  void zeroBChangesNothing() {
    check(LoraOptions.DEFAULT, true, dir.resolve("zero.gguf"));
  }

  private static void check(LoraOptions options, boolean zeroB, Path adapterPath) {
    Path model = TestSupport.model();
    try (GgufFile gguf = GgufFile.open(model);
        LlamaNet net = LlamaNet.load(gguf, NDManager.newBaseManager(), options, true, 7);
        LlamaModel ref = LlamaModel.loadForLogits(TestSupport.llama(), model, 128, 2)) {
      SplittableRandom random = new SplittableRandom(11);
      for (int i = 0; i < net.loras().size(); i++) {
        float[][] ab = net.getLora(i);
        for (int j = 0; j < ab[1].length; j++) {
          ab[1][j] = zeroB ? 0f : (float) (random.nextGaussian() * 0.05);
        }
        net.setLora(i, ab[0], ab[1]);
      }
      LoraAdapterFile.write(adapterPath, "llama", options.alpha(), LoraAdapterFile.pairs(net));
      int[] tokens = ref.tokenize(TEXT, true, false);
      float[][] base = ref.logitsAll(tokens);
      float[][] adapted;
      try (LlamaAdapter adapter = ref.loadAdapter(adapterPath)) {
        ref.setAdapter(adapter, 1f);
        adapted = ref.logitsAll(tokens);
        ref.clearAdapters();
      }
      try (NDManager sub = NDManager.newBaseManager()) {
        double diff = TestSupport.maxAbsDiff(adapted, net.forward(sub, new int[][] {tokens}));
        double change = maxAbsDiff(base, adapted);
        System.out.printf(
            "adapter (zeroB=%s): DJL vs llama.cpp max |delta| %.3g, change from base %.3g%n",
            zeroB, diff, change);
        assertThat(diff).isLessThanOrEqualTo(1e-3);
        if (zeroB) {
          assertThat(change).isZero();
        } else {
          assertThat(change).isGreaterThan(0.05);
        }
      }
    }
  }

  private static double maxAbsDiff(float[][] a, float[][] b) {
    double max = 0;
    for (int i = 0; i < a.length; i++) {
      for (int j = 0; j < a[i].length; j++) {
        max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
      }
    }
    return max;
  }
}
