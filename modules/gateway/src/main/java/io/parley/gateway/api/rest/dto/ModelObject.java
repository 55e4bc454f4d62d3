package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** {@code {"id","object":"model","created","owned_by"}}. */
@JsonPropertyOrder({"id", "object", "created", "owned_by"})
public record ModelObject(String id, String object, long created, String ownedBy) {

  public ModelObject(String id, long created, String ownedBy) {
    this(id, "model", created, ownedBy);
  }
}
