package io.parley.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.parley.llama.LlamaModel;
import io.parley.trainer.TestSupport;
import io.parley.trainer.gguf.GgmlType;
import io.parley.trainer.gguf.GgufFile;
import io.parley.trainer.gguf.ModelCopies;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DJL forward pass gives llama.cpp's logits for the same tokens, for F32, F16 and Q8_0. */
class ForwardMatchesLlamaCppTest {

  private static final String TEXT = "Once upon a time, there was a little girl named Lily.";

  @TempDir Path dir;

  @Test
  void f32() {
    assertMatches(TestSupport.model(), GgmlType.F32);
  }

  /**
   * F16 is held to a looser bound: llama.cpp b4916 itself gives logits for the F16 copy that differ
   * by up to about 8e-3 between one batch and token-by-token evaluation (checked here too), while
   * the F32 and Q8_0 models agree with themselves to 1e-5; the DJL pass agrees with the batched
   * logits exactly at position 0 and within that same spread after it.
   */
  @Test
  void f16Copy() {
    Path copy = dir.resolve("f16.gguf");
    ModelCopies.convert(TestSupport.llama(), TestSupport.model(), copy, GgmlType.F16);
    double llamaSpread = llamaBatchVersusIncremental(copy);
    System.out.printf("F16: llama.cpp batch vs token-by-token max |delta| %.3g%n", llamaSpread);
    assertMatches(copy, GgmlType.F16, Math.max(1e-3, 1.5 * llamaSpread));
  }

  @Test
  void q8Copy() {
    Path copy = dir.resolve("q8_0.gguf");
    ModelCopies.convert(TestSupport.llama(), TestSupport.model(), copy, GgmlType.Q8_0);
    assertMatches(copy, GgmlType.Q8_0);
  }

  /** Rows of a right-padded batch get the logits each row gets alone (padding is never seen). */
  @Test
  void batchedRowsEqualSingleRows() {
    try (GgufFile gguf = GgufFile.open(TestSupport.model());
        LlamaModel tok = LlamaModel.load(TestSupport.llama(), TestSupport.model(), 0, 0, 0, 0);
        LlamaNet net =
            LlamaNet.load(gguf, NDManager.newBaseManager(), LoraOptions.DEFAULT, true, 1);
        NDManager sub = NDManager.newBaseManager()) {
      int[] a = tok.tokenize(TEXT, true, false);
      int[] b = tok.tokenize("The cat sat.", true, false);
      int[] bPadded = java.util.Arrays.copyOf(b, a.length);
      float[] batched = net.forward(sub, new int[][] {a, bPadded}).toFloatArray();
      float[] aAlone = net.forward(sub, new int[][] {a}).toFloatArray();
      float[] bAlone = net.forward(sub, new int[][] {b}).toFloatArray();
      int vocab = net.config().vocab();
      double max = 0;
      for (int i = 0; i < aAlone.length; i++) {
        max = Math.max(max, Math.abs(aAlone[i] - batched[i]));
      }
      for (int i = 0; i < bAlone.length; i++) {
        max = Math.max(max, Math.abs(bAlone[i] - batched[a.length * vocab + i]));
      }
      assertThat(max).isLessThanOrEqualTo(1e-4);
    }
  }

  private static void assertMatches(Path model, GgmlType expectedType) {
    assertMatches(model, expectedType, 1e-3);
  }

  private static double llamaBatchVersusIncremental(Path model) {
    try (LlamaModel ref = LlamaModel.loadForLogits(TestSupport.llama(), model, 128, 2)) {
      int[] tokens = ref.tokenize(TEXT, true, false);
      float[][] all = ref.logitsAll(tokens);
      ref.kvClear();
      float[] row = new float[ref.vocabSize];
      double max = 0;
      for (int i = 0; i < tokens.length; i++) {
        ref.batchClear();
        ref.batchAdd(tokens[i], i, 0, true);
        ref.decode();
        ref.logits(0, row);
        for (int v = 0; v < row.length; v++) {
          max = Math.max(max, Math.abs(row[v] - all[i][v]));
        }
      }
      return max;
    }
  }

  private static void assertMatches(Path model, GgmlType expectedType, double bound) {
    try (GgufFile gguf = GgufFile.open(model);
        LlamaModel ref = LlamaModel.loadForLogits(TestSupport.llama(), model, 128, 2);
        LlamaNet net =
            LlamaNet.load(gguf, NDManager.newBaseManager(), LoraOptions.DEFAULT, true, 1)) {
      assertThat(gguf.tensor("blk.0.attn_q.weight").orElseThrow().type()).isEqualTo(expectedType);
      int[] tokens = ref.tokenize(TEXT, true, false);
      float[][] expected = ref.logitsAll(tokens);
      try (NDManager sub = NDManager.newBaseManager()) {
        NDArray logits = net.forward(sub, new int[][] {tokens});
        double diff = TestSupport.maxAbsDiff(expected, logits);
        System.out.printf("%s: %d tokens, max |delta| %.3g%n", expectedType, tokens.length, diff);
        assertThat(diff).isLessThanOrEqualTo(bound);
      }
    }
  }
}
