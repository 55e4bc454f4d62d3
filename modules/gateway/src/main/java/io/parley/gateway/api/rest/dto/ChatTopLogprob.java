package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** An alternative token at one position. */
@JsonPropertyOrder({"token", "logprob", "bytes"})
public record ChatTopLogprob(String token, double logprob, List<Integer> bytes) {}
