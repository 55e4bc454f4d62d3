package io.parley.safety.training;

import java.util.Arrays;
import java.util.Comparator;

/** Binary-classification metrics over scores and labels (optionally weighted). */
public final class Metrics {

  private Metrics() {}

  /** Area under the ROC curve (ties count half); NaN when a class is absent. */
  public static double auc(double[] scores, boolean[] labels) {
    var w = new double[scores.length];
    Arrays.fill(w, 1);
    return auc(scores, labels, w);
  }

  /** Weighted area under the ROC curve. */
  public static double auc(double[] scores, boolean[] labels, double[] weights) {
    Integer[] order = new Integer[scores.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
    double positives = 0;
    double negatives = 0;
    for (int i = 0; i < scores.length; i++) {
      if (labels[i]) {
        positives += weights[i];
      } else {
        negatives += weights[i];
      }
    }
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    double area = 0;
    double negativesBelow = 0;
    int i = 0;
    while (i < order.length) {
      int j = i;
      double tiedPositives = 0;
      double tiedNegatives = 0;
      while (j < order.length && scores[order[j]] == scores[order[i]]) {
        if (labels[order[j]]) {
          tiedPositives += weights[order[j]];
        } else {
          tiedNegatives += weights[order[j]];
        }
        j++;
      }
      area += tiedPositives * (negativesBelow + tiedNegatives / 2);
      negativesBelow += tiedNegatives;
      i = j;
    }
    return area / (positives * negatives);
  }

  /**
   * Counts at a threshold.
   *
   * @param tp weight of positives flagged
   * @param fp weight of negatives flagged
   * @param fn weight of positives missed
   * @param tn weight of negatives passed
   */
  public record Confusion(double tp, double fp, double fn, double tn) {
    public double precision() {
      return tp + fp == 0 ? Double.NaN : tp / (tp + fp);
    }

    public double recall() {
      return tp + fn == 0 ? Double.NaN : tp / (tp + fn);
    }

    public double f1() {
      return tp == 0 ? 0 : 2 * tp / (2 * tp + fp + fn);
    }

    public double accuracy() {
      return (tp + tn) / (tp + fp + fn + tn);
    }
  }

  /** The confusion counts of flagging {@code score >= threshold}. */
  public static Confusion confusion(
      double[] scores, boolean[] labels, double[] weights, double threshold) {
    double tp = 0;
    double fp = 0;
    double fn = 0;
    double tn = 0;
    for (int i = 0; i < scores.length; i++) {
      boolean flagged = scores[i] >= threshold;
      if (labels[i]) {
        if (flagged) {
          tp += weights[i];
        } else {
          fn += weights[i];
        }
      } else if (flagged) {
        fp += weights[i];
      } else {
        tn += weights[i];
      }
    }
    return new Confusion(tp, fp, fn, tn);
  }

  /**
   * The threshold in [0.05, 0.95] (steps of 0.01) with the highest balanced accuracy, the mean of
   * the true-positive and true-negative rates (Youden's J), whatever the weights of the classes.
   */
  public static double bestBalancedThreshold(double[] scores, boolean[] labels, double[] weights) {
    double best = 0.5;
    double bestJ = Double.NEGATIVE_INFINITY;
    for (int step = 5; step <= 95; step++) {
      double t = step / 100.0;
      var c = confusion(scores, labels, weights, t);
      double j = c.tp() / (c.tp() + c.fn()) - c.fp() / (c.fp() + c.tn());
      if (j > bestJ) {
        bestJ = j;
        best = t;
      }
    }
    return best;
  }
}
