package io.parley.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.parley.trainer.TestSupport;
import io.parley.trainer.data.Example;
import io.parley.trainer.gguf.GgufFile;
import io.parley.trainer.model.LlamaNet;
import io.parley.trainer.model.LoraOptions;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Autograd's gradients of the training loss agree with central finite differences. */
class GradientCheckTest {

  @Test
  void loraGradientsMatchFiniteDifferences() {
    try (GgufFile gguf = GgufFile.open(TestSupport.model());
        LlamaNet net =
            LlamaNet.load(
                gguf, NDManager.newBaseManager(), new LoraOptions(4, 8f, true), false, 3)) {
      SplittableRandom random = new SplittableRandom(5);
      for (int i = 0; i < net.loras().size(); i++) {
        float[][] ab = net.getLora(i);
        for (int j = 0; j < ab[1].length; j++) {
          ab[1][j] = (float) (random.nextGaussian() * 0.1);
        }
        net.setLora(i, ab[0], ab[1]);
      }
      int[] tokens = new int[24];
      float[] weights = new float[24];
      boolean[] scored = new boolean[24];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = 1 + random.nextInt(500);
        weights[i] = i < 8 ? 0.1f : 1f;
        scored[i] = i >= 8;
      }
      Batch batch = Batch.of(List.of(new Example(tokens, weights, scored)));
      int checked = 0;
      // one A and one B entry in the first and last layer's q projection and an MLP projection
      for (int pair : new int[] {0, net.loras().size() - 1, 4}) {
        LlamaNet.Lora l = net.loras().get(pair);
        for (NDArray param : new NDArray[] {l.at, l.bt}) {
          float[] analytic = gradient(net, batch, param);
          float[] values = param.toFloatArray();
          for (int k = 0; k < 2; k++) {
            int j = random.nextInt(values.length);
            double h = 1e-2;
            double up = lossWith(net, batch, param, values, j, (float) (values[j] + h));
            double down = lossWith(net, batch, param, values, j, (float) (values[j] - h));
            LlamaNet.assign(param, values);
            double numeric = (up - down) / (2 * h);
            System.out.printf(
                "%s[%d]: autograd %.6g, finite difference %.6g%n", l.name, j, analytic[j], numeric);
            assertThat(analytic[j])
                .isCloseTo(
                    (float) numeric,
                    org.assertj.core.data.Offset.offset((float) (2e-3 + 0.02 * Math.abs(numeric))));
            checked++;
          }
        }
      }
      assertThat(checked).isEqualTo(12);
    }
  }

  private static float[] gradient(LlamaNet net, Batch batch, NDArray param) {
    try (NDManager sub = NDManager.newBaseManager()) {
      try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        gc.backward(batch.run(net, sub).loss());
      }
      try (NDArray g = param.getGradient()) {
        float[] out = g.toFloatArray();
        for (LlamaNet.Lora l : net.loras()) {
          for (NDArray p : new NDArray[] {l.at, l.bt}) {
            try (NDArray pg = p.getGradient()) {
              pg.set(new ai.djl.ndarray.index.NDIndex("..."), 0f);
            }
          }
        }
        return out;
      }
    }
  }

  private static double lossWith(
      LlamaNet net, Batch batch, NDArray param, float[] values, int j, float value) {
    float[] changed = values.clone();
    changed[j] = value;
    LlamaNet.assign(param, changed);
    try (NDManager sub = NDManager.newBaseManager()) {
      return batch.run(net, sub).lossValue();
    }
  }
}
