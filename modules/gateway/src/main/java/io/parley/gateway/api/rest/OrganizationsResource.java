package io.parley.gateway.api.rest;

import io.parley.gateway.application.OrganizationAdmin;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import java.io.InputStream;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * {@code GET /v1/organizations} (the caller's organizations, with their role) and {@code POST
 * /v1/organizations} ({@code {"name", "owner"}}): the platform administrator creates organizations
 * and names their first owner (a user id or an e-mail address); with self-service on, a person
 * creates their own, up to a cap (see {@link OrganizationAdmin}).
 */
@ApplicationScoped
@Path("/v1/organizations")
public class OrganizationsResource {

  private OrganizationAdmin admin;
  private long maxBodyBytes;

  /** For CDI proxies. */
  protected OrganizationsResource() {}

  @Inject
  public OrganizationsResource(
      OrganizationAdmin admin,
      @ConfigProperty(name = "parley.gateway.max-body-bytes") long maxBodyBytes) {
    this.admin = admin;
    this.maxBodyBytes = maxBodyBytes;
  }

  @GET
  public Response list(@Context HttpServletRequest request) {
    var data = Json.MAPPER.createArrayNode();
    for (var org : admin.organizations(Callers.of(request)).getOrganizationsList()) {
      var node = data.addObject();
      node.put("object", "organization");
      node.put("id", org.getId());
      node.put("name", org.getName());
      node.put("created", org.getCreatedAt());
      node.put("role", org.getRole() == io.parley.usage.v1.Role.ROLE_OWNER ? "owner" : "reader");
      node.put("is_default", org.getIsDefault());
    }
    return OrganizationResource.json(OrganizationResource.list(data));
  }

  @POST
  public Response create(
      @Context HttpServletRequest request, @Context HttpHeaders headers, InputStream body) {
    var params =
        new Params(
            RequestBodies.read(
                headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
                GenerationEndpoint.contentLength(headers),
                body,
                maxBodyBytes));
    var caller = Callers.of(request);
    var name = AdminInputs.requiredName(params.requiredString("name"), "name");
    var owner = params.string("owner").map(o -> AdminInputs.person(o, "owner"));
    var created = admin.createOrganization(caller, name, owner);
    var out = Json.MAPPER.createObjectNode();
    out.put("object", "organization");
    out.put("id", created.getOrganization());
    out.put("name", name);
    out.put("owner", created.getOwnerUser());
    return OrganizationResource.json(out);
  }
}
