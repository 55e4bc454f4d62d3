package io.parley.safety.training;

/**
 * Weighted, L2-regularised logistic regression fitted by Newton's method (iteratively reweighted
 * least squares): minimises {@code Σ wᵢ·logloss(yᵢ, σ(β·xᵢ + b)) / Σ wᵢ + λ/2·|β|²} (the intercept
 * is not penalised). Deterministic: same data, same weights.
 */
public final class LogisticRegression {

  private static final int MAX_ITERATIONS = 50;
  private static final double TOLERANCE = 1e-7;

  /**
   * A fitted model.
   *
   * @param weights one per feature
   * @param bias intercept
   */
  public record Fit(double[] weights, double bias) {
    /** σ(β·x + b). */
    public double score(float[] x) {
      double z = bias;
      for (int i = 0; i < weights.length; i++) {
        z += weights[i] * x[i];
      }
      return 1 / (1 + Math.exp(-z));
    }
  }

  private LogisticRegression() {}

  /**
   * Fits a model.
   *
   * @param x features, one row per example
   * @param y labels
   * @param w example weights, positive
   * @param lambda L2 penalty
   */
  public static Fit fit(float[][] x, boolean[] y, double[] w, double lambda) {
    int n = x.length;
    int d = x[0].length;
    int p = d + 1; // the last coefficient is the intercept
    double total = 0;
    for (double wi : w) {
      total += wi;
    }
    var beta = new double[p];
    for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
      var gradient = new double[p];
      var hessian = new double[p][p];
      var row = new double[p];
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < d; j++) {
          row[j] = x[i][j];
        }
        row[d] = 1;
        double z = 0;
        for (int j = 0; j < p; j++) {
          z += beta[j] * row[j];
        }
        double prob = 1 / (1 + Math.exp(-z));
        double wi = w[i] / total;
        double residual = wi * (prob - (y[i] ? 1 : 0));
        double curvature = wi * Math.max(prob * (1 - prob), 1e-12);
        for (int j = 0; j < p; j++) {
          gradient[j] += residual * row[j];
          double cj = curvature * row[j];
          var hj = hessian[j];
          for (int k = j; k < p; k++) {
            hj[k] += cj * row[k];
          }
        }
      }
      for (int j = 0; j < d; j++) {
        gradient[j] += lambda * beta[j];
        hessian[j][j] += lambda;
      }
      hessian[d][d] += 1e-9;
      for (int j = 0; j < p; j++) {
        for (int k = 0; k < j; k++) {
          hessian[j][k] = hessian[k][j];
        }
      }
      var step = solve(hessian, gradient);
      double change = 0;
      for (int j = 0; j < p; j++) {
        beta[j] -= step[j];
        change = Math.max(change, Math.abs(step[j]));
      }
      if (change < TOLERANCE) {
        break;
      }
    }
    var weights = new double[d];
    System.arraycopy(beta, 0, weights, 0, d);
    return new Fit(weights, beta[d]);
  }

  /** Solves {@code a·s = b} for a symmetric positive definite {@code a} (Cholesky). */
  static double[] solve(double[][] a, double[] b) {
    int n = b.length;
    var l = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j <= i; j++) {
        double sum = a[i][j];
        for (int k = 0; k < j; k++) {
          sum -= l[i][k] * l[j][k];
        }
        if (i == j) {
          if (sum <= 0) {
            throw new IllegalStateException("The Hessian is not positive definite");
          }
          l[i][i] = Math.sqrt(sum);
        } else {
          l[i][j] = sum / l[j][j];
        }
      }
    }
    var y = new double[n];
    for (int i = 0; i < n; i++) {
      double sum = b[i];
      for (int k = 0; k < i; k++) {
        sum -= l[i][k] * y[k];
      }
      y[i] = sum / l[i][i];
    }
    var s = new double[n];
    for (int i = n - 1; i >= 0; i--) {
      double sum = y[i];
      for (int k = i + 1; k < n; k++) {
        sum -= l[k][i] * s[k];
      }
      s[i] = sum / l[i][i];
    }
    return s;
  }
}
