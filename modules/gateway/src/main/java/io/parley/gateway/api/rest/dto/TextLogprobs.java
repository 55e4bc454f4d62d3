package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Map;

/**
 * Legacy log probabilities: parallel lists over the tokens; {@code token_logprobs} and {@code
 * top_logprobs} hold null for the first echoed prompt token.
 */
@JsonPropertyOrder({"tokens", "token_logprobs", "top_logprobs", "text_offset"})
public record TextLogprobs(
    List<String> tokens,
    List<Double> tokenLogprobs,
    List<Map<String, Double>> topLogprobs,
    List<Integer> textOffset) {}
