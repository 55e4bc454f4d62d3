package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * {@code {"id","object":"upload","bytes","created_at","filename","purpose","status","expires_at",
 * "file"}}; {@code file} is null until the upload is completed.
 */
@JsonPropertyOrder({
  "id",
  "object",
  "bytes",
  "created_at",
  "filename",
  "purpose",
  "status",
  "expires_at",
  "file"
})
public record UploadObject(
    String id,
    String object,
    long bytes,
    long createdAt,
    String filename,
    String purpose,
    String status,
    long expiresAt,
    FileObject file) {}
