package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** One choice of a chat completion. */
@JsonPropertyOrder({"index", "message", "logprobs", "finish_reason"})
public record ChatChoice(
    int index, ChatMessage message, ChatLogprobs logprobs, String finishReason) {}
