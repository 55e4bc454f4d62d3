package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** A legacy {@code text_completion} object. */
@JsonPropertyOrder({"id", "object", "created", "model", "choices", "usage", "system_fingerprint"})
public record TextCompletion(
    String id,
    String object,
    long created,
    String model,
    List<TextChoice> choices,
    Usage usage,
    String systemFingerprint) {}
