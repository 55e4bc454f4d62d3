package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** One choice of a legacy completion. */
@JsonPropertyOrder({"text", "index", "logprobs", "finish_reason"})
public record TextChoice(String text, int index, TextLogprobs logprobs, String finishReason) {}
