package io.parley.gateway.api.rest;

import com.fasterxml.jackson.databind.node.TextNode;
import io.parley.gateway.api.rest.dto.ModelList;
import io.parley.gateway.api.rest.dto.ModelObject;
import io.parley.gateway.application.ModelCatalog;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.gateway.domain.ModelInfo;
import io.parley.gateway.domain.ModelNotFoundException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** {@code GET /v1/models} and {@code GET /v1/models/{id}}. */
@ApplicationScoped
@Path("/v1/models")
public class ModelsResource {

  private ModelCatalog catalog;

  /** For CDI proxies. */
  protected ModelsResource() {}

  @Inject
  public ModelsResource(ModelCatalog catalog) {
    this.catalog = catalog;
  }

  @GET
  public Response list() {
    return json(models());
  }

  @GET
  @Path("{id: .+}")
  public Response get(@PathParam("id") String id) {
    return json(model(id));
  }

  ModelList models() {
    return new ModelList(catalog.list().stream().map(ModelsResource::model).toList());
  }

  /**
   * @throws ModelNotFoundException without asking any service when the id cannot be a model id
   */
  ModelObject model(String id) {
    try {
      Params.modelId(TextNode.valueOf(id), "model");
    } catch (InvalidRequestException e) {
      throw new ModelNotFoundException(id);
    }
    return model(catalog.get(id));
  }

  private static ModelObject model(ModelInfo info) {
    return new ModelObject(info.id(), info.created(), info.ownedBy());
  }

  private static Response json(Object body) {
    return Response.ok(Json.bytes(body), MediaType.APPLICATION_JSON_TYPE).build();
  }
}
