package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/** {@code {"id","object":"model","deleted":true}}. */
@JsonPropertyOrder({"id", "object", "deleted"})
public record ModelDeleted(String id, String object, boolean deleted) {

  public ModelDeleted(String id) {
    this(id, "model", true);
  }
}
