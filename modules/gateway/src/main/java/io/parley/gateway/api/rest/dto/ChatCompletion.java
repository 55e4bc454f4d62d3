package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** A {@code chat.completion} object. */
@JsonPropertyOrder({"id", "object", "created", "model", "choices", "usage", "system_fingerprint"})
public record ChatCompletion(
    String id,
    String object,
    long created,
    String model,
    List<ChatChoice> choices,
    Usage usage,
    String systemFingerprint) {}
