package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** {@code {"id","object":"upload.part","created_at","upload_id"}}. */
@JsonPropertyOrder({"id", "object", "created_at", "upload_id"})
public record UploadPartObject(String id, String object, long createdAt, String uploadId) {}
