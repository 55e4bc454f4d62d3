package io.parley.gateway.api.rest;

import com.fasterxml.jackson.databind.node.TextNode;
import io.parley.gateway.api.rest.dto.ModelDeleted;
import io.parley.gateway.api.rest.dto.ModelList;
import io.parley.gateway.api.rest.dto.ModelObject;
import io.parley.gateway.application.ModelCatalog;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.gateway.domain.ModelInfo;
import io.parley.gateway.domain.ModelNotFoundException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * {@code GET /v1/models} (the base models and the caller's organization's fine-tuned models),
 * {@code GET /v1/models/{id}} and {@code DELETE /v1/models/{id}} (fine-tuned models of the caller's
 * organization, owners only).
 */
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
  public Response list(@Context HttpServletRequest request) {
    return json(models(Callers.of(request).organization()));
  }

  @GET
  @Path("{id: .+}")
  public Response get(@Context HttpServletRequest request, @PathParam("id") String id) {
    return json(model(Callers.of(request).organization(), id));
  }

  @DELETE
  @Path("{id: .+}")
  public Response delete(@Context HttpServletRequest request, @PathParam("id") String id) {
    checked(id);
    catalog.delete(Callers.of(request), id);
    return json(new ModelDeleted(id));
  }

  /** The base models. */
  ModelList models() {
    return new ModelList(catalog.list().stream().map(ModelsResource::model).toList());
  }

  /** The base models and the organization's fine-tuned models. */
  ModelList models(String organization) {
    return new ModelList(catalog.list(organization).stream().map(ModelsResource::model).toList());
  }

  /**
   * @throws ModelNotFoundException without asking any service when the id cannot be a model id
   */
  ModelObject model(String id) {
    checked(id);
    return model(catalog.get(id));
  }

  /**
   * @throws ModelNotFoundException without asking any service when the id cannot be a model id
   */
  ModelObject model(String organization, String id) {
    checked(id);
    return model(catalog.get(organization, id));
  }

  private static void checked(String id) {
    try {
      Params.modelId(TextNode.valueOf(id), "model");
    } catch (InvalidRequestException e) {
      throw new ModelNotFoundException(id);
    }
  }

  private static ModelObject model(ModelInfo info) {
    return new ModelObject(info.id(), info.created(), info.ownedBy());
  }

  private static Response json(Object body) {
    return Response.ok(Json.bytes(body), MediaType.APPLICATION_JSON_TYPE).build();
  }
}
