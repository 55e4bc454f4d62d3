package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * {@code {"id","object":"file","bytes","created_at","filename","purpose","status",
 * "status_details"}}.
 */
@JsonPropertyOrder({
  "id",
  "object",
  "bytes",
  "created_at",
  "filename",
  "purpose",
  "status",
  "status_details"
})
public record FileObject(
    String id,
    String object,
    long bytes,
    long createdAt,
    String filename,
    String purpose,
    String status,
    String statusDetails) {}
