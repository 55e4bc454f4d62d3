package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** Token counts of a request. */
@JsonPropertyOrder({"prompt_tokens", "completion_tokens", "total_tokens"})
public record Usage(int promptTokens, int completionTokens, int totalTokens) {}
