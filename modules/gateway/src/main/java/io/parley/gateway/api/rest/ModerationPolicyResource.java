package io.parley.gateway.api.rest;

import io.parley.gateway.application.AccessChanges;
import io.parley.gateway.application.ContentScreening;
import io.parley.gateway.application.SafetyBackend;
import io.parley.gateway.domain.PermissionDeniedException;
import io.parley.gateway.domain.Role;
import io.parley.safety.v1.Policy;
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
 * {@code /v1/organization/moderation_policy}: whether the organization's chat and completion
 * prompts ({@code screen_input}) and outputs ({@code screen_output}) are screened by moderation.
 * Readers read it; owners change it. Kept by the usage service (its database) when one is
 * configured, otherwise by the safety service (its memory); screening itself needs the safety
 * service. A change reaches every gateway replica at once (see {@code AccessChanges}).
 */
@ApplicationScoped
@Path("/v1/organization/moderation_policy")
public class ModerationPolicyResource {

  private SafetyBackend safety;
  private ContentScreening screening;
  private AccessChanges changes;
  private long maxBodyBytes;

  /** For CDI proxies. */
  protected ModerationPolicyResource() {}

  @Inject
  public ModerationPolicyResource(
      SafetyBackend safety,
      ContentScreening screening,
      AccessChanges changes,
      @ConfigProperty(name = "parley.gateway.max-body-bytes") long maxBodyBytes) {
    this.safety = safety;
    this.screening = screening;
    this.changes = changes;
    this.maxBodyBytes = maxBodyBytes;
  }

  @GET
  public Response get(@Context HttpServletRequest request) {
    var caller = Callers.of(request);
    requireStore();
    return json(caller.organization(), screening.currentPolicy(caller.organization()));
  }

  @POST
  public Response set(
      @Context HttpServletRequest request, @Context HttpHeaders headers, InputStream body) {
    var caller = Callers.of(request);
    if (caller.role() != Role.OWNER && !caller.administrator()) {
      throw PermissionDeniedException.role(Role.OWNER);
    }
    requireStore();
    var params =
        new Params(
            RequestBodies.read(
                headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
                GenerationEndpoint.contentLength(headers),
                body,
                maxBodyBytes));
    var current = screening.currentPolicy(caller.organization());
    var policy =
        Policy.newBuilder()
            .setScreenInput(params.bool("screen_input").orElse(current.getScreenInput()))
            .setScreenOutput(params.bool("screen_output").orElse(current.getScreenOutput()))
            .build();
    var updated = screening.setPolicy(caller.organization(), policy);
    changes.policyChanged(caller.organization());
    return json(caller.organization(), updated);
  }

  private void requireStore() {
    if (!screening.persistent() && !safety.enabled()) {
      throw SafetyBackend.notConfigured();
    }
  }

  private static Response json(String organization, Policy policy) {
    var out = Json.MAPPER.createObjectNode();
    out.put("object", "organization.moderation_policy");
    out.put("organization_id", organization);
    out.put("screen_input", policy.getScreenInput());
    out.put("screen_output", policy.getScreenOutput());
    return OrganizationResource.json(out);
  }
}
