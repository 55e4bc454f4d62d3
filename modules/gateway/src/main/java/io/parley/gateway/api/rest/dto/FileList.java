package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** {@code {"object":"list","data","first_id","last_id","has_more"}}. */
@JsonPropertyOrder({"object", "data", "first_id", "last_id", "has_more"})
public record FileList(
    String object, List<FileObject> data, String firstId, String lastId, boolean hasMore) {}
