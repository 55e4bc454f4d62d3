package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** One generated token with its log probability, UTF-8 bytes and most likely alternatives. */
@JsonPropertyOrder({"token", "logprob", "bytes", "top_logprobs"})
public record ChatTokenLogprob(
    String token, double logprob, List<Integer> bytes, List<ChatTopLogprob> topLogprobs) {}
