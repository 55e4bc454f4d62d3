package io.parley.trainer.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.parley.trainer.data.Example;
import io.parley.trainer.model.LlamaNet;
import java.util.List;

/**
 * Examples padded to one length: inputs (each example without its last token), targets (without its
 * first), loss weights of the targets, and which targets count for accuracy.
 */
public record Batch(int[][] inputs, int[][] targets, float[][] weights, float[][] scored) {

  /** The loss and accuracy of one forward pass over a batch. */
  public record Result(NDArray loss, double lossValue, double accuracy, long tokens) {}

  public static Batch of(List<Example> examples) {
    int len = 1;
    for (Example e : examples) {
      len = Math.max(len, e.tokens().length - 1);
    }
    int n = examples.size();
    int[][] in = new int[n][len];
    int[][] tg = new int[n][len];
    float[][] w = new float[n][len];
    float[][] s = new float[n][len];
    for (int i = 0; i < n; i++) {
      Example e = examples.get(i);
      for (int j = 0; j + 1 < e.tokens().length; j++) {
        in[i][j] = e.tokens()[j];
        tg[i][j] = e.tokens()[j + 1];
        w[i][j] = e.weights()[j + 1];
        s[i][j] = e.scored()[j + 1] ? 1f : 0f;
      }
    }
    return new Batch(in, tg, w, s);
  }

  /** Tokens that carry loss weight. */
  public long weightedTokens() {
    long n = 0;
    for (float[] row : weights) {
      for (float v : row) {
        n += v > 0 ? 1 : 0;
      }
    }
    return n;
  }

  /**
   * Runs the network: the weighted mean cross-entropy of the targets (as an NDArray that autograd
   * can differentiate) and the share of scored targets that are the most likely token.
   */
  public Result run(LlamaNet net, NDManager sub) {
    NDArray logits = net.forward(sub, inputs);
    int b = inputs.length;
    int t = inputs[0].length;
    NDArray target = sub.create(flat(targets), new Shape(b, t, 1)).toType(DataType.INT64, false);
    NDArray w = sub.create(flat(weights), new Shape(b, t));
    NDArray sc = sub.create(flat(scored), new Shape(b, t));
    NDArray logp = logits.logSoftmax(-1).gather(target, 2).reshape(b, t);
    float wsum = 0;
    for (float[] row : weights) {
      for (float v : row) {
        wsum += v;
      }
    }
    NDArray loss = logp.mul(w).sum().neg().div(Math.max(wsum, 1e-8f));
    NDArray hit =
        logits
            .argMax(-1)
            .toType(DataType.INT64, false)
            .eq(target.reshape(b, t))
            .toType(DataType.FLOAT32, false);
    double scoredCount = sc.sum().getFloat();
    double accuracy = scoredCount > 0 ? hit.mul(sc).sum().getFloat() / scoredCount : 0;
    return new Result(loss, loss.getFloat(), accuracy, (long) scoredCount);
  }

  private static float[] flat(float[][] m) {
    float[] out = new float[m.length * m[0].length];
    for (int i = 0; i < m.length; i++) {
      System.arraycopy(m[i], 0, out, i * m[0].length, m[0].length);
    }
    return out;
  }

  private static float[] flat(int[][] m) {
    float[] out = new float[m.length * m[0].length];
    for (int i = 0; i < m.length; i++) {
      for (int j = 0; j < m[0].length; j++) {
        out[i * m[0].length + j] = m[i][j];
      }
    }
    return out;
  }
}
