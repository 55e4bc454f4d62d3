package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** {@code {"id","object":"file","deleted":true}}. */
@JsonPropertyOrder({"id", "object", "deleted"})
public record FileDeleted(String id, String object, boolean deleted) {}
