package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * {@code {"object":"organization.storage","bytes","files","quota_bytes"}}: what an organization
 * stores in files; {@code quota_bytes} 0 means unlimited.
 */
@JsonPropertyOrder({"object", "bytes", "files", "quota_bytes"})
public record StorageObject(String object, long bytes, long files, long quotaBytes) {}
