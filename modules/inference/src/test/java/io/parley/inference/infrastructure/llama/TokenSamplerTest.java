package io.parley.inference.infrastructure.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.inference.domain.SamplingParams;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Sampling on synthetic logits; no native code involved. */
class TokenSamplerTest {

  private static SamplingParams params(
      double temperature,
      double topP,
      double presence,
      double frequency,
      Map<Integer, Double> bias) {
    return new SamplingParams(temperature, topP, presence, frequency, bias, OptionalLong.empty());
  }

  @Test
  void temperatureZeroIsArgmax() {
    float[] logits = {0.1f, 2.5f, 2.4f, -1f};
    TokenSampler sampler = new TokenSampler(SamplingParams.greedy(), 4, 1);
    for (int i = 0; i < 10; i++) {
      assertEquals(1, sampler.sample(logits));
    }
  }

  @Test
  void argmaxTiesGoToLowestId() {
    assertEquals(1, TokenSampler.argmax(new double[] {0, 3, 3, 1}));
  }

  @Test
  void logitBiasMinus100BansAndPlus100Forces() {
    float[] logits = {5f, 1f, 0f};
    TokenSampler banned = new TokenSampler(params(0, 1, 0, 0, Map.of(0, -100.0)), 3, 1);
    assertEquals(1, banned.sample(logits));
    TokenSampler forced = new TokenSampler(params(1, 1, 0, 0, Map.of(2, 100.0)), 3, 7);
    for (int i = 0; i < 50; i++) {
      assertEquals(2, forced.sample(logits));
    }
  }

  @Test
  void presencePenaltyAppliesOnceFrequencyPenaltyPerOccurrence() {
    float[] logits = {1.0f, 0.5f};
    TokenSampler presence = new TokenSampler(params(0, 1, 0.6, 0, Map.of()), 2, 1);
    presence.accept(0);
    presence.accept(0);
    presence.accept(0);
    assertEquals(1, presence.sample(logits), "1.0 - 0.6 < 0.5");

    TokenSampler frequency = new TokenSampler(params(0, 1, 0, 0.2, Map.of()), 2, 1);
    frequency.accept(0);
    frequency.accept(0);
    assertEquals(0, frequency.sample(logits), "1.0 - 2*0.2 = 0.6 > 0.5");
    frequency.accept(0);
    assertEquals(1, frequency.sample(logits), "1.0 - 3*0.2 = 0.4 < 0.5");
  }

  @Test
  void topPKeepsOnlyTheNucleus() {
    // probabilities ~ 0.64, 0.24, 0.09, 0.03
    float[] logits = {3f, 2f, 1f, 0f};
    TokenSampler sampler = new TokenSampler(params(1, 0.7, 0, 0, Map.of()), 4, 42);
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 2000; i++) {
      seen.add(sampler.sample(logits));
    }
    assertEquals(Set.of(0, 1), seen, "0.64 < 0.7 so the two most likely tokens form the nucleus");

    TokenSampler tiny = new TokenSampler(params(1, 0.01, 0, 0, Map.of()), 4, 42);
    for (int i = 0; i < 200; i++) {
      assertEquals(0, tiny.sample(logits));
    }
  }

  @Test
  void topPCloseToOneAlsoConsidersVeryUnlikelyTokens() {
    // the likely token alone has p = 1 - 7.6e-7 < top_p, so the nucleus extends past the first
    // candidate cut
    float[] logits = new float[1001];
    java.util.Arrays.fill(logits, -21f);
    logits[0] = 0f;
    TokenSampler sampler =
        new TokenSampler(params(1, 0.99999999, 0, 0, Map.of()), logits.length, 5);
    for (int i = 0; i < 100; i++) {
      assertEquals(0, sampler.sample(logits));
    }
    float[] flat = new float[1000];
    TokenSampler half = new TokenSampler(params(1, 0.5, 0, 0, Map.of()), flat.length, 9);
    for (int i = 0; i < 200; i++) {
      int t = half.sample(flat);
      assertTrue(t >= 0 && t < 500, "equal weights: the nucleus is the 500 lowest ids, got " + t);
    }
  }

  @Test
  void fullDistributionFollowsSoftmax() {
    float[] logits = {0f, (float) Math.log(3)}; // p = 0.25, 0.75
    TokenSampler sampler = new TokenSampler(params(1, 1, 0, 0, Map.of()), 2, 3);
    int ones = 0;
    int n = 20000;
    for (int i = 0; i < n; i++) {
      ones += sampler.sample(logits);
    }
    assertEquals(0.75, ones / (double) n, 0.02);
  }

  @Test
  void sameSeedSameSequenceDifferentChoicesDiffer() {
    float[] logits = new float[64];
    for (int i = 0; i < logits.length; i++) {
      logits[i] = (float) Math.sin(i);
    }
    SamplingParams p = params(1, 0.95, 0, 0, Map.of());
    int[] a = draw(new TokenSampler(p, 64, TokenSampler.sequenceSeed(1234, 0)), logits);
    int[] b = draw(new TokenSampler(p, 64, TokenSampler.sequenceSeed(1234, 0)), logits);
    int[] c = draw(new TokenSampler(p, 64, TokenSampler.sequenceSeed(1234, 1)), logits);
    assertArrayEquals(a, b);
    assertNotEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(c));
  }

  @Test
  void logSoftmaxAndTopK() {
    float[] logits = {1f, 3f, 2f, 3f};
    double[] lsm = TokenSampler.logSoftmax(logits, 4);
    double sum = 0;
    for (double v : lsm) {
      sum += Math.exp(v);
      assertTrue(v <= 0);
    }
    assertEquals(1.0, sum, 1e-12);
    assertEquals(lsm[1], lsm[3], 1e-15);
    assertArrayEquals(new int[] {1, 3, 2}, TokenSampler.topK(lsm, 3));
    assertArrayEquals(new int[] {}, TokenSampler.topK(lsm, 0));
    assertArrayEquals(new int[] {1, 3, 2, 0}, TokenSampler.topK(lsm, 10));
  }

  private static int[] draw(TokenSampler sampler, float[] logits) {
    int[] out = new int[32];
    for (int i = 0; i < out.length; i++) {
      out[i] = sampler.sample(logits);
      sampler.accept(out[i]);
    }
    return out;
  }
}
