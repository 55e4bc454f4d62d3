package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** Log probabilities of a chat choice: {@code {"content":[...],"refusal":null}}. */
@JsonPropertyOrder({"content", "refusal"})
public record ChatLogprobs(List<ChatTokenLogprob> content, List<ChatTokenLogprob> refusal) {}
