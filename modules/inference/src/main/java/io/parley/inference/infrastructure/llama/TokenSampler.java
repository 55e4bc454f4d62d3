package io.parley.inference.infrastructure.llama;

import io.parley.inference.domain.SamplingParams;
import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Chooses the next token of one sequence from the model's logits, in this order: logit bias,
 * presence and frequency penalties over the tokens this sequence generated so far (OpenAI's formula
 * {@code logit[t] -= count[t] * frequency_penalty + (count[t] > 0 ? presence_penalty : 0)}), then
 * either the most likely token (temperature 0; ties go to the lowest token id) or temperature
 * scaling, nucleus (top_p) truncation and a draw from this sequence's own random generator. Not
 * thread-safe; one instance per sequence.
 */
final class TokenSampler {

  private final SamplingParams params;
  private final int[] biasTokens;
  private final double[] biasValues;
  private final int[] counts;
  private int[] seen;
  private int seenCount;
  private final SplittableRandom random;

  /**
   * @param seed seed of this sequence's random generator (derive it with {@link #sequenceSeed} for
   *     reproducibility)
   */
  TokenSampler(SamplingParams params, int vocabSize, long seed) {
    this.params = params;
    Map<Integer, Double> bias = params.logitBias();
    biasTokens = new int[bias.size()];
    biasValues = new double[bias.size()];
    int i = 0;
    for (var e : bias.entrySet()) {
      biasTokens[i] = e.getKey();
      biasValues[i] = e.getValue();
      i++;
    }
    counts = new int[vocabSize];
    seen = new int[16];
    random = new SplittableRandom(seed);
  }

  /**
   * Seed of choice {@code index} of a request seeded with {@code requestSeed}; distinct per choice.
   */
  static long sequenceSeed(long requestSeed, int index) {
    long z = requestSeed + 0x9E3779B97F4A7C15L * (index + 1L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  /** Chooses a token; {@code logits} is not modified. */
  int sample(float[] logits) {
    int n = counts.length;
    double[] l = new double[n];
    for (int t = 0; t < n; t++) {
      l[t] = logits[t];
    }
    for (int i = 0; i < biasTokens.length; i++) {
      if (biasTokens[i] >= 0 && biasTokens[i] < n) {
        l[biasTokens[i]] += biasValues[i];
      }
    }
    if (params.presencePenalty() != 0 || params.frequencyPenalty() != 0) {
      for (int i = 0; i < seenCount; i++) {
        int t = seen[i];
        l[t] -= counts[t] * params.frequencyPenalty() + params.presencePenalty();
      }
    }
    if (params.temperature() <= 0) {
      return argmax(l);
    }
    double max = Double.NEGATIVE_INFINITY;
    for (int t = 0; t < n; t++) {
      l[t] /= params.temperature();
      max = Math.max(max, l[t]);
    }
    double sum = 0;
    for (int t = 0; t < n; t++) {
      l[t] = Math.exp(l[t] - max);
      sum += l[t];
    }
    double topP = params.topP();
    if (topP >= 1.0) {
      return draw(l, sum);
    }
    return drawNucleus(l, sum, topP);
  }

  /** Records a generated token for the penalties. */
  void accept(int token) {
    if (counts[token]++ == 0) {
      if (seenCount == seen.length) {
        seen = Arrays.copyOf(seen, seen.length * 2);
      }
      seen[seenCount++] = token;
    }
  }

  private int draw(double[] weights, double sum) {
    double r = random.nextDouble() * sum;
    double acc = 0;
    int last = 0;
    for (int t = 0; t < weights.length; t++) {
      if (weights[t] > 0) {
        acc += weights[t];
        last = t;
        if (r < acc) {
          return t;
        }
      }
    }
    return last;
  }

  private int drawNucleus(double[] weights, double sum, double topP) {
    // Weights are exp(logit - max), so the most likely token has weight 1. Tokens below e^-20 of it
    // are sorted
    // only if the others do not reach top_p; every excluded token is less likely than every
    // candidate, so the
    // nucleus found among the candidates is exact.
    int[] sorted = sortedByWeight(weights, Math.exp(-20));
    double cumulative = 0;
    int kept = 0;
    for (int t : sorted) {
      cumulative += weights[t] / sum;
      kept++;
      if (cumulative >= topP) {
        break;
      }
    }
    if (cumulative < topP && sorted.length < weights.length) {
      sorted = sortedByWeight(weights, Double.NEGATIVE_INFINITY);
      cumulative = 0;
      kept = 0;
      for (int t : sorted) {
        cumulative += weights[t] / sum;
        kept++;
        if (cumulative >= topP) {
          break;
        }
      }
    }
    double r = random.nextDouble() * cumulative;
    double acc = 0;
    for (int i = 0; i < kept; i++) {
      acc += weights[sorted[i]] / sum;
      if (r < acc) {
        return sorted[i];
      }
    }
    return sorted[kept - 1];
  }

  /**
   * Token ids with weight at least {@code threshold}, by descending weight (ties: ascending id).
   */
  private static int[] sortedByWeight(double[] weights, double threshold) {
    long[] keys = new long[weights.length];
    int n = 0;
    for (int t = 0; t < weights.length; t++) {
      if (weights[t] >= threshold) {
        // non-negative floats order like their bit patterns; the low half orders ties by ascending
        // id
        int bits = Float.floatToIntBits((float) weights[t]);
        keys[n++] = ((long) bits << 32) | (0xFFFFFFFFL & ~t);
      }
    }
    Arrays.sort(keys, 0, n);
    int[] sorted = new int[n];
    for (int i = 0; i < n; i++) {
      sorted[i] = ~(int) keys[n - 1 - i];
    }
    return sorted;
  }

  static int argmax(double[] values) {
    int best = 0;
    for (int t = 1; t < values.length; t++) {
      if (values[t] > values[best]) {
        best = t;
      }
    }
    return best;
  }

  /** Natural-log softmax of raw logits, in double precision. */
  static double[] logSoftmax(float[] logits, int n) {
    double max = Double.NEGATIVE_INFINITY;
    for (int t = 0; t < n; t++) {
      max = Math.max(max, logits[t]);
    }
    double sum = 0;
    for (int t = 0; t < n; t++) {
      sum += Math.exp(logits[t] - max);
    }
    double logZ = max + Math.log(sum);
    double[] out = new double[n];
    for (int t = 0; t < n; t++) {
      out[t] = logits[t] - logZ;
    }
    return out;
  }

  /** The {@code k} token ids with the highest values, highest first (ties: lower id first). */
  static int[] topK(double[] values, int k) {
    k = Math.min(k, values.length);
    int[] best = new int[k];
    int size = 0;
    for (int t = 0; t < values.length; t++) {
      if (size < k) {
        int i = size++;
        while (i > 0 && values[best[i - 1]] < values[t]) {
          best[i] = best[i - 1];
          i--;
        }
        best[i] = t;
      } else if (k > 0 && values[t] > values[best[k - 1]]) {
        int i = k - 1;
        while (i > 0 && values[best[i - 1]] < values[t]) {
          best[i] = best[i - 1];
          i--;
        }
        best[i] = t;
      }
    }
    return best;
  }
}
