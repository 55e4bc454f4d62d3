package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import com.fasterxml.jackson.databind.JsonNode;

/** OpenAI's {@code fine_tuning.job.event} object; {@code data} holds a metrics event's values. */
@JsonPropertyOrder({"object", "id", "created_at", "level", "message", "type", "data"})
public record FineTuningEventObject(
    String object,
    String id,
    long createdAt,
    String level,
    String message,
    String type,
    JsonNode data) {}
