package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** The legacy {@code fine-tune-event} object. */
@JsonPropertyOrder({"object", "created_at", "level", "message"})
public record FineTuneEventObject(String object, long createdAt, String level, String message) {}
