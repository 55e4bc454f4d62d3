package io.parley.gateway.api.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.gateway.application.OrganizationAdmin;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.usage.v1.ApiKey;
import io.parley.usage.v1.Invite;
import io.parley.usage.v1.Limits;
import io.parley.usage.v1.Member;
import io.parley.usage.v1.ModelRateLimit;
import io.parley.usage.v1.QueryCostsRequest;
import io.parley.usage.v1.QueryUsageRequest;
import io.parley.usage.v1.ServiceAccount;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.MultivaluedMap;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The admin API of the caller's organization ({@code OpenAI-Organization} or the key's default),
 * kept by the usage service: members, invitations, service accounts, API keys, limits, usage and
 * costs, shaped like OpenAI's admin API. Who may do what is decided in {@link OrganizationAdmin};
 * every id, name, address and list is bounded here ({@link AdminInputs}) before any call.
 */
@ApplicationScoped
@Path("/v1/organization")
public class OrganizationResource {

  private static final List<String> WIDTHS = List.of("1m", "1h", "1d");
  private static final List<String> USAGE_GROUPS = List.of("model", "api_key_id", "user_id");
  private static final List<String> COST_GROUPS =
      List.of("model", "api_key_id", "user_id", "line_item");

  private OrganizationAdmin admin;
  private long maxBodyBytes;

  /** For CDI proxies. */
  protected OrganizationResource() {}

  @Inject
  public OrganizationResource(
      OrganizationAdmin admin,
      @ConfigProperty(name = "parley.gateway.max-body-bytes") long maxBodyBytes) {
    this.admin = admin;
    this.maxBodyBytes = maxBodyBytes;
  }

  @GET
  @Path("users")
  public Response members(@Context HttpServletRequest request) {
    var data = Json.MAPPER.createArrayNode();
    for (var member : admin.members(Callers.of(request)).getMembersList()) {
      data.add(member(member));
    }
    return json(list(data));
  }

  /** Adds a person directly, without an invitation (the platform administrator only). */
  @POST
  @Path("users")
  public Response putMember(
      @Context HttpServletRequest request, @Context HttpHeaders headers, InputStream body) {
    var caller = Callers.of(request);
    var params = params(headers, body);
    var user =
        params
            .string("user_id")
            .map(u -> AdminInputs.id(u, "user_id"))
            .or(() -> params.string("email").map(e -> AdminInputs.email(e, "email")))
            .orElseThrow(() -> Params.missing("email"));
    var role = AdminInputs.role(params.string("role").orElse("reader"));
    var id = admin.addMember(caller, user, role).getUser();
    var out = Json.MAPPER.createObjectNode();
    out.put("object", "organization.user");
    out.put("id", id);
    out.put("email", user.contains("@") ? user : null);
    out.put("role", role.name().toLowerCase(Locale.ROOT));
    return json(out);
  }

  @GET
  @Path("users/{id}")
  public Response member(@Context HttpServletRequest request, @PathParam("id") String id) {
    var caller = Callers.of(request);
    AdminInputs.id(id, "user_id");
    for (var member : admin.members(caller).getMembersList()) {
      if (member.getUser().equals(id)) {
        return json(member(member));
      }
    }
    throw notFound("user_not_found", "No user '" + id + "' in this organization.", "user_id");
  }

  /** Changes a member's role: {@code {"role": "owner" | "reader"}} (owners). */
  @POST
  @Path("users/{id}")
  public Response updateMember(
      @Context HttpServletRequest request,
      @PathParam("id") String id,
      @Context HttpHeaders headers,
      InputStream body) {
    var caller = Callers.of(request);
    AdminInputs.id(id, "user_id");
    var params = params(headers, body);
    var role = AdminInputs.role(params.requiredString("role"));
    return json(member(admin.updateMemberRole(caller, id, role)));
  }

  @DELETE
  @Path("users/{id}")
  public Response removeMember(@Context HttpServletRequest request, @PathParam("id") String id) {
    var caller = Callers.of(request);
    AdminInputs.id(id, "user_id");
    boolean removed = admin.removeMember(caller, id);
    return json(deleted("organization.user.deleted", id, removed));
  }

  @GET
  @Path("invites")
  public Response invites(@Context HttpServletRequest request) {
    var data = Json.MAPPER.createArrayNode();
    for (var invite : admin.invites(Callers.of(request)).getInvitesList()) {
      data.add(invite(invite));
    }
    return json(list(data));
  }

  /** Invites a person: {@code {"email", "role"}} (owners). */
  @POST
  @Path("invites")
  public Response createInvite(
      @Context HttpServletRequest request, @Context HttpHeaders headers, InputStream body) {
    var caller = Callers.of(request);
    var params = params(headers, body);
    var email = AdminInputs.email(params.requiredString("email"), "email");
    var role = AdminInputs.role(params.requiredString("role"));
    return json(invite(admin.createInvite(caller, email, role)));
  }

  @GET
  @Path("invites/{id}")
  public Response invite(@Context HttpServletRequest request, @PathParam("id") String id) {
    var caller = Callers.of(request);
    return json(invite(admin.invite(caller, AdminInputs.id(id, "invite_id"))));
  }

  @DELETE
  @Path("invites/{id}")
  public Response deleteInvite(@Context HttpServletRequest request, @PathParam("id") String id) {
    var caller = Callers.of(request);
    admin.deleteInvite(caller, AdminInputs.id(id, "invite_id"));
    return json(deleted("organization.invite.deleted", id, true));
  }

  /**
   * Accepts an invitation as the caller, a person whose own key's e-mail address is the invited
   * one; the request may run in any organization of theirs.
   */
  @POST
  @Path("invites/{id}/accept")
  public Response acceptInvite(@Context HttpServletRequest request, @PathParam("id") String id) {
    var caller = Callers.of(request);
    return json(invite(admin.acceptInvite(caller, AdminInputs.id(id, "invite_id"))));
  }

  @GET
  @Path("service_accounts")
  public Response serviceAccounts(@Context HttpServletRequest request) {
    var data = Json.MAPPER.createArrayNode();
    for (var account : admin.serviceAccounts(Callers.of(request)).getServiceAccountsList()) {
      data.add(serviceAccount(account));
    }
    return json(list(data));
  }

  /**
   * Creates a service account: {@code {"name", "role"}} (owners). The response carries its key in
   * {@code api_key.value}, the only time it is shown; the key acts in this organization only.
   */
  @POST
  @Path("service_accounts")
  public Response createServiceAccount(
      @Context HttpServletRequest request, @Context HttpHeaders headers, InputStream body) {
    var caller = Callers.of(request);
    var params = params(headers, body);
    var name = AdminInputs.requiredName(params.requiredString("name"), "name");
    var role = AdminInputs.role(params.string("role").orElse("reader"));
    var created = admin.createServiceAccount(caller, name, role);
    var out = serviceAccount(created.getServiceAccount());
    var key = out.putObject("api_key");
    key.put("object", "organization.service_account.api_key");
    key.put("id", created.getApiKey().getId());
    key.put("name", created.getApiKey().getName());
    key.put("value", created.getSecret());
    key.put("created_at", created.getApiKey().getCreatedAt());
    return json(out);
  }

  @DELETE
  @Path("service_accounts/{id}")
  public Response deleteServiceAccount(
      @Context HttpServletRequest request, @PathParam("id") String id) {
    var caller = Callers.of(request);
    admin.deleteServiceAccount(caller, AdminInputs.id(id, "service_account_id"));
    return json(deleted("organization.service_account.deleted", id, true));
  }

  @GET
  @Path("api_keys")
  public Response apiKeys(@Context HttpServletRequest request) {
    var data = Json.MAPPER.createArrayNode();
    for (var key : admin.apiKeys(Callers.of(request)).getApiKeysList()) {
      data.add(apiKey(key));
    }
    return json(list(data));
  }

  /** Creates a key; the response carries its secret in {@code value}, the only time it is shown. */
  @POST
  @Path("api_keys")
  public Response createApiKey(
      @Context HttpServletRequest request, @Context HttpHeaders headers, InputStream body) {
    var caller = Callers.of(request);
    var params = params(headers, body);
    var created =
        admin.createApiKey(
            caller,
            AdminInputs.name(params.string("name").orElse(""), "name"),
            params.string("user_id").map(u -> AdminInputs.id(u, "user_id")),
            nonNegative(params, "expires_at"));
    var out = apiKey(created.getApiKey());
    out.put("id", created.getApiKeyId());
    out.put("value", created.getSecret());
    return json(out);
  }

  @DELETE
  @Path("api_keys/{id}")
  public Response revokeApiKey(@Context HttpServletRequest request, @PathParam("id") String id) {
    var caller = Callers.of(request);
    boolean revoked = admin.revokeApiKey(caller, AdminInputs.id(id, "api_key_id"));
    return json(deleted("organization.api_key.deleted", id, revoked));
  }

  @GET
  @Path("limits")
  public Response limits(@Context HttpServletRequest request) {
    return json(limits(admin.limits(Callers.of(request))));
  }

  /**
   * Replaces the limits: {@code requests_per_minute}, {@code tokens_per_minute}, {@code
   * soft_limit_micros}, {@code hard_limit_micros} (0 = none), {@code model_limits}: [{@code model},
   * {@code requests_per_minute}, {@code tokens_per_minute}].
   */
  @POST
  @Path("limits")
  public Response setLimits(
      @Context HttpServletRequest request, @Context HttpHeaders headers, InputStream body) {
    var caller = Callers.of(request);
    var params = params(headers, body);
    var limits =
        Limits.newBuilder()
            .setRequestsPerMinute(nonNegative(params, "requests_per_minute"))
            .setTokensPerMinute(nonNegative(params, "tokens_per_minute"))
            .setSoftLimitMicros(nonNegative(params, "soft_limit_micros"))
            .setHardLimitMicros(nonNegative(params, "hard_limit_micros"));
    var models = params.get("model_limits");
    if (models != null && !models.isNull()) {
      if (!models.isArray()) {
        throw Params.invalidType("model_limits", "an array", models);
      }
      if (models.size() > AdminInputs.MAX_MODEL_LIMITS) {
        throw new InvalidRequestException(
            "Invalid 'model_limits': at most " + AdminInputs.MAX_MODEL_LIMITS + " entries.",
            "model_limits",
            "invalid_value");
      }
      for (int i = 0; i < models.size(); i++) {
        var param = "model_limits[" + i + "]";
        var node = models.get(i);
        if (!node.isObject()) {
          throw Params.invalidType(param, "an object", node);
        }
        var model = new Params((ObjectNode) node);
        limits.addModelLimits(
            ModelRateLimit.newBuilder()
                .setModel(modelId(model.requiredString("model"), param + ".model"))
                .setRequestsPerMinute(nonNegative(model, "requests_per_minute"))
                .setTokensPerMinute(nonNegative(model, "tokens_per_minute")));
      }
    }
    return json(limits(admin.setLimits(caller, limits.build())));
  }

  /** {@code GET /v1/organization/usage/completions}: token usage in time buckets. */
  @GET
  @Path("usage/completions")
  public Response usage(@Context HttpServletRequest request, @Context UriInfo uri) {
    return json(usagePage(Callers.of(request), uri.getQueryParameters()));
  }

  ObjectNode usagePage(Caller caller, MultivaluedMap<String, String> query) {
    var usage =
        QueryUsageRequest.newBuilder()
            .setStartTime(startTime(query.getFirst("start_time")))
            .setEndTime(optionalLong(query.getFirst("end_time"), "end_time"))
            .setBucketWidth(bucketWidth(query.getFirst("bucket_width")))
            .setLimit((int) optionalLong(query.getFirst("limit"), "limit"))
            .setPage(Optional.ofNullable(query.getFirst("page")).orElse(""))
            .addAllModels(list(query, "models"))
            .addAllApiKeyIds(list(query, "api_key_ids"))
            .addAllUserIds(list(query, "user_ids"));
    var groups = groups(list(query, "group_by"), USAGE_GROUPS);
    usage.addAllGroupBy(groups.stream().map(g -> g.equals("user_id") ? "user" : g).toList());
    var response = admin.usage(caller, usage);
    var page = new Page();
    for (var row : response.getResultsList()) {
      var bucket = page.bucket(row.getStartTime(), row.getEndTime());
      if (row.getNumModelRequests() == 0
          && row.getTokens().getTotalTokens() == 0
          && row.getGroupCount() == 0) {
        continue;
      }
      var result = bucket.addObject();
      result.put("object", "organization.usage.completions.result");
      result.put("input_tokens", row.getTokens().getPromptTokens());
      result.put("output_tokens", row.getTokens().getCompletionTokens());
      result.put("input_cached_tokens", 0);
      result.put("input_audio_tokens", 0);
      result.put("output_audio_tokens", 0);
      result.put("num_model_requests", row.getNumModelRequests());
      result.putNull("project_id");
      group(result, row.getGroupMap(), "user_id", "user");
      group(result, row.getGroupMap(), "api_key_id", "api_key_id");
      group(result, row.getGroupMap(), "model", "model");
      result.putNull("batch");
    }
    return page.json(response.getHasMore(), response.getNextPage());
  }

  /** {@code GET /v1/organization/costs}: costs in time buckets, in US dollars. */
  @GET
  @Path("costs")
  public Response costs(@Context HttpServletRequest request, @Context UriInfo uri) {
    return json(costsPage(Callers.of(request), uri.getQueryParameters()));
  }

  ObjectNode costsPage(Caller caller, MultivaluedMap<String, String> query) {
    var costs =
        QueryCostsRequest.newBuilder()
            .setStartTime(startTime(query.getFirst("start_time")))
            .setEndTime(optionalLong(query.getFirst("end_time"), "end_time"))
            .setBucketWidth(bucketWidth(query.getFirst("bucket_width")))
            .setLimit((int) optionalLong(query.getFirst("limit"), "limit"))
            .setPage(Optional.ofNullable(query.getFirst("page")).orElse(""));
    var groups = groups(list(query, "group_by"), COST_GROUPS);
    costs.addAllGroupBy(groups.stream().map(g -> g.equals("user_id") ? "user" : g).toList());
    var response = admin.costs(caller, costs);
    var page = new Page();
    for (var row : response.getResultsList()) {
      var bucket = page.bucket(row.getStartTime(), row.getEndTime());
      if (row.getAmountMicros() == 0 && row.getGroupCount() == 0) {
        continue;
      }
      var result = bucket.addObject();
      result.put("object", "organization.costs.result");
      var amount = result.putObject("amount");
      amount.put("value", row.getAmountMicros() / 1_000_000.0);
      amount.put("currency", row.getCurrency().isEmpty() ? "usd" : row.getCurrency());
      group(result, row.getGroupMap(), "line_item", "line_item");
      result.putNull("project_id");
      if (groups.contains("model")) {
        group(result, row.getGroupMap(), "model", "model");
      }
    }
    return page.json(response.getHasMore(), response.getNextPage());
  }

  /** Buckets in order of their start, each with its results. */
  private static final class Page {
    private final ArrayNode data = Json.MAPPER.createArrayNode();
    private long lastStart = Long.MIN_VALUE;
    private ArrayNode results;

    ArrayNode bucket(long start, long end) {
      if (results == null || start != lastStart) {
        var bucket = data.addObject();
        bucket.put("object", "bucket");
        bucket.put("start_time", start);
        bucket.put("end_time", end);
        results = bucket.putArray("results");
        lastStart = start;
      }
      return results;
    }

    ObjectNode json(boolean hasMore, String nextPage) {
      var page = Json.MAPPER.createObjectNode();
      page.put("object", "page");
      page.set("data", data);
      page.put("has_more", hasMore);
      page.put("next_page", nextPage.isEmpty() ? null : nextPage);
      return page;
    }
  }

  private static void group(
      ObjectNode result, Map<String, String> group, String field, String key) {
    var value = group.get(key);
    if (value == null) {
      result.putNull(field);
    } else {
      result.put(field, value);
    }
  }

  static List<String> list(MultivaluedMap<String, String> query, String name) {
    var values = new ArrayList<String>();
    for (var key : List.of(name, name + "[]")) {
      var given = query.get(key);
      if (given != null) {
        for (var value : given) {
          for (var part : value.split(",")) {
            if (!part.isBlank()) {
              values.add(part.strip());
            }
          }
        }
      }
    }
    return values;
  }

  private static List<String> groups(List<String> groups, List<String> allowed) {
    for (var group : groups) {
      if (!allowed.contains(group)) {
        throw new InvalidRequestException(
            "Invalid value for 'group_by': '"
                + group
                + "'. Supported values are: "
                + String.join(", ", allowed)
                + ".",
            "group_by",
            "invalid_value");
      }
    }
    return groups;
  }

  private static long startTime(String value) {
    if (value == null || value.isBlank()) {
      throw Params.missing("start_time");
    }
    return optionalLong(value, "start_time");
  }

  private static long optionalLong(String value, String param) {
    if (value == null || value.isBlank()) {
      return 0;
    }
    try {
      long parsed = Long.parseLong(value.strip());
      if (parsed < 0) {
        throw new NumberFormatException();
      }
      return parsed;
    } catch (NumberFormatException e) {
      throw new InvalidRequestException(
          "Invalid value for '" + param + "': expected a non-negative integer.",
          param,
          "invalid_value");
    }
  }

  private static String bucketWidth(String value) {
    if (value == null || value.isBlank()) {
      return "1d";
    }
    if (!WIDTHS.contains(value)) {
      throw new InvalidRequestException(
          "Invalid value for 'bucket_width': '" + value + "'. Supported values are: 1m, 1h, 1d.",
          "bucket_width",
          "invalid_value");
    }
    return value;
  }

  private static long nonNegative(Params params, String name) {
    var value = params.get(name);
    return value == null || value.isNull() ? 0 : Params.integer(value, name, 0, Long.MAX_VALUE);
  }

  private static String modelId(String value, String param) {
    if (value.isBlank() || value.length() > AdminInputs.MAX_MODEL) {
      throw new InvalidRequestException(
          "Invalid '" + param + "': a model id of 1 to " + AdminInputs.MAX_MODEL + " characters.",
          param,
          "invalid_value");
    }
    return value;
  }

  private static GatewayException notFound(String code, String message, String param) {
    return new GatewayException(404, GatewayException.INVALID_REQUEST, code, param, message);
  }

  static ObjectNode invite(Invite invite) {
    var out = Json.MAPPER.createObjectNode();
    out.put("object", "organization.invite");
    out.put("id", invite.getId());
    out.put("email", invite.getEmail());
    out.put("role", role(invite.getRole()));
    out.put(
        "status",
        switch (invite.getStatus()) {
          case INVITE_STATUS_ACCEPTED -> "accepted";
          case INVITE_STATUS_EXPIRED -> "expired";
          default -> "pending";
        });
    out.put("invited_at", invite.getInvitedAt());
    out.put("expires_at", invite.getExpiresAt());
    if (invite.getAcceptedAt() == 0) {
      out.putNull("accepted_at");
    } else {
      out.put("accepted_at", invite.getAcceptedAt());
    }
    return out;
  }

  static ObjectNode serviceAccount(ServiceAccount account) {
    var out = Json.MAPPER.createObjectNode();
    out.put("object", "organization.service_account");
    out.put("id", account.getId());
    out.put("name", account.getName());
    out.put("role", role(account.getRole()));
    out.put("created_at", account.getCreatedAt());
    return out;
  }

  private Params params(HttpHeaders headers, InputStream body) {
    return new Params(
        RequestBodies.read(
            headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
            GenerationEndpoint.contentLength(headers),
            body,
            maxBodyBytes));
  }

  static ObjectNode member(Member member) {
    var out = Json.MAPPER.createObjectNode();
    out.put("object", "organization.user");
    out.put("id", member.getUser());
    out.put("name", member.getEmail());
    out.put("email", member.getEmail());
    out.put("role", role(member.getRole()));
    out.put("added_at", member.getAddedAt());
    return out;
  }

  static ObjectNode apiKey(ApiKey key) {
    var out = Json.MAPPER.createObjectNode();
    out.put("object", "organization.api_key");
    out.put("id", key.getId());
    out.put("name", key.getName());
    out.put("redacted_value", key.getRedactedValue());
    out.put("created_at", key.getCreatedAt());
    if (key.getLastUsedAt() == 0) {
      out.putNull("last_used_at");
    } else {
      out.put("last_used_at", key.getLastUsedAt());
    }
    if (key.getExpiresAt() == 0) {
      out.putNull("expires_at");
    } else {
      out.put("expires_at", key.getExpiresAt());
    }
    var owner = out.putObject("owner");
    owner.put("type", key.getServiceAccount() ? "service_account" : "user");
    owner.put("id", key.getUser());
    return out;
  }

  static ObjectNode limits(Limits limits) {
    var out = Json.MAPPER.createObjectNode();
    out.put("object", "organization.limits");
    out.put("requests_per_minute", limits.getRequestsPerMinute());
    out.put("tokens_per_minute", limits.getTokensPerMinute());
    out.put("soft_limit_micros", limits.getSoftLimitMicros());
    out.put("hard_limit_micros", limits.getHardLimitMicros());
    var models = out.putArray("model_limits");
    for (var model : limits.getModelLimitsList()) {
      var node = models.addObject();
      node.put("model", model.getModel());
      node.put("requests_per_minute", model.getRequestsPerMinute());
      node.put("tokens_per_minute", model.getTokensPerMinute());
    }
    return out;
  }

  private static String role(io.parley.usage.v1.Role role) {
    return role == io.parley.usage.v1.Role.ROLE_OWNER ? "owner" : "reader";
  }

  static ObjectNode list(ArrayNode data) {
    var out = Json.MAPPER.createObjectNode();
    out.put("object", "list");
    out.set("data", data);
    out.put("first_id", data.isEmpty() ? null : data.get(0).get("id").asText());
    out.put("last_id", data.isEmpty() ? null : data.get(data.size() - 1).get("id").asText());
    out.put("has_more", false);
    return out;
  }

  private static ObjectNode deleted(String object, String id, boolean deleted) {
    var out = Json.MAPPER.createObjectNode();
    out.put("object", object);
    out.put("id", id);
    out.put("deleted", deleted);
    return out;
  }

  static Response json(Object body) {
    return Response.ok(Json.bytes(body), MediaType.APPLICATION_JSON_TYPE).build();
  }
}
