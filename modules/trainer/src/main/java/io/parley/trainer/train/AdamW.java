package io.parley.trainer.train;

/**
 * AdamW (decoupled weight decay) on plain float arrays, so its state is saved and restored exactly.
 */
public final class AdamW {

  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final double EPS = 1e-8;

  private final float[][] m;
  private final float[][] v;
  private final double weightDecay;

  public AdamW(int[] sizes, double weightDecay) {
    m = new float[sizes.length][];
    v = new float[sizes.length][];
    for (int i = 0; i < sizes.length; i++) {
      m[i] = new float[sizes[i]];
      v[i] = new float[sizes[i]];
    }
    this.weightDecay = weightDecay;
  }

  public float[][] firstMoments() {
    return m;
  }

  public float[][] secondMoments() {
    return v;
  }

  /** One update of step {@code t} (1-based) with learning rate {@code lr}. */
  public void step(float[][] params, float[][] grads, int t, double lr) {
    double c1 = 1 - Math.pow(BETA1, t);
    double c2 = 1 - Math.pow(BETA2, t);
    for (int i = 0; i < params.length; i++) {
      float[] p = params[i];
      float[] g = grads[i];
      float[] mi = m[i];
      float[] vi = v[i];
      for (int j = 0; j < p.length; j++) {
        mi[j] = (float) (BETA1 * mi[j] + (1 - BETA1) * g[j]);
        vi[j] = (float) (BETA2 * vi[j] + (1 - BETA2) * g[j] * g[j]);
        double update = (mi[j] / c1) / (Math.sqrt(vi[j] / c2) + EPS) + weightDecay * p[j];
        p[j] = (float) (p[j] - lr * update);
      }
    }
  }

  /** Scales gradients so their global L2 norm is at most {@code maxNorm}; returns the norm. */
  public static double clip(float[][] grads, double maxNorm) {
    double sum = 0;
    for (float[] g : grads) {
      for (float x : g) {
        sum += (double) x * x;
      }
    }
    double norm = Math.sqrt(sum);
    if (norm > maxNorm) {
      float scale = (float) (maxNorm / (norm + 1e-6));
      for (float[] g : grads) {
        for (int j = 0; j < g.length; j++) {
          g[j] *= scale;
        }
      }
    }
    return norm;
  }
}
