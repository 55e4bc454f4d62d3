package io.parley.inference.domain;

import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * How the next token is chosen from the model's logits.
 *
 * @param temperature 0 chooses the most likely token (deterministic); otherwise logits are divided
 *     by it (0..2)
 * @param topP nucleus sampling: sample only among the most likely tokens whose probabilities sum to
 *     at least this (0..1]
 * @param presencePenalty subtracted once from the logit of every token already generated (-2..2)
 * @param frequencyPenalty subtracted from a token's logit once per time it was already generated
 *     (-2..2)
 * @param logitBias token id to a value in -100..100 added to that token's logit; -100 effectively
 *     bans the token
 * @param seed makes sampling reproducible: the same request with the same seed gives the same
 *     output
 */
public record SamplingParams(
    double temperature,
    double topP,
    double presencePenalty,
    double frequencyPenalty,
    Map<Integer, Double> logitBias,
    OptionalLong seed) {

  public SamplingParams {
    logitBias = Map.copyOf(logitBias);
    Objects.requireNonNull(seed, "seed");
  }

  /** Greedy decoding without penalties or bias. */
  public static SamplingParams greedy() {
    return new SamplingParams(0, 1, 0, 0, Map.of(), OptionalLong.empty());
  }

  /** OpenAI's defaults: temperature 1, top_p 1, no penalties. */
  public static SamplingParams defaults() {
    return new SamplingParams(1, 1, 0, 0, Map.of(), OptionalLong.empty());
  }
}
