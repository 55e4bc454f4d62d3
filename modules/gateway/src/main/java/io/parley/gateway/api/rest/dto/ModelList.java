package io.parley.gateway.api.rest.dto;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/** {@code {"object":"list","data":[...]}}. */
@JsonPropertyOrder({"object", "data"})
public record ModelList(String object, List<ModelObject> data) {

  public ModelList(List<ModelObject> data) {
    this("list", data);
  }
}
