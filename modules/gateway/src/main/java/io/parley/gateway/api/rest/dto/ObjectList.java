package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * {@code {"object":"list","data":[…],"first_id","last_id","has_more"}}; the ids and {@code
 * has_more} are left out where the OpenAI list has none ({@code null}).
 */
@JsonPropertyOrder({"object", "data", "first_id", "last_id", "has_more"})
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ObjectList<T>(
    String object, List<T> data, String firstId, String lastId, Boolean hasMore) {}
