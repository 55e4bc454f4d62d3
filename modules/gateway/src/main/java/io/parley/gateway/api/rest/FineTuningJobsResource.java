package io.parley.gateway.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.finetuning.v1.CreateJobRequest;
import io.parley.finetuning.v1.Hyperparameters;
import io.parley.finetuning.v1.Job;
import io.parley.finetuning.v1.JobApi;
import io.parley.gateway.api.rest.dto.FineTuningCheckpointObject;
import io.parley.gateway.api.rest.dto.FineTuningEventObject;
import io.parley.gateway.api.rest.dto.FineTuningJobObject;
import io.parley.gateway.api.rest.dto.ObjectList;
import io.parley.gateway.application.FineTuning;
import io.parley.gateway.domain.InvalidRequestException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.UriInfo;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The fine-tuning jobs API ({@code /v1/fine_tuning/jobs}): create, list (paged, filtered by {@code
 * metadata[key]=value}), retrieve, cancel, pause, resume, events (paged, newest first) and
 * checkpoints (newest first). Jobs run in the files service; another organization's job is 404.
 */
@ApplicationScoped
@Path("/v1/fine_tuning/jobs")
public class FineTuningJobsResource {

  /** Largest create body (bytes): a job is a few ids and numbers, metadata at most ~10 KiB. */
  static final long MAX_BODY = 64 * 1024;

  static final Set<String> FIELDS =
      Set.of(
          "model",
          "training_file",
          "validation_file",
          "hyperparameters",
          "method",
          "suffix",
          "seed",
          "metadata",
          "integrations");

  private FineTuning fineTuning;
  private long maxBodyBytes;

  /** For CDI proxies. */
  protected FineTuningJobsResource() {}

  @Inject
  public FineTuningJobsResource(
      FineTuning fineTuning,
      @ConfigProperty(name = "parley.gateway.max-body-bytes") long maxBodyBytes) {
    this.fineTuning = fineTuning;
    this.maxBodyBytes = Math.min(MAX_BODY, maxBodyBytes);
  }

  @POST
  public Response create(
      @Context HttpHeaders headers, @Context HttpServletRequest request, InputStream body) {
    var json =
        RequestBodies.read(
            headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
            GenerationEndpoint.contentLength(headers),
            body,
            maxBodyBytes);
    var job = fineTuning.create(Callers.of(request), parse(json));
    return FilesResource.json(FineTuningObjects.job(job));
  }

  /** Reads a create request (OpenAI's shape) into the service's request. */
  static CreateJobRequest.Builder parse(ObjectNode json) {
    json.fieldNames()
        .forEachRemaining(
            name -> {
              if (!FIELDS.contains(name)) {
                throw new InvalidRequestException(
                    "Unrecognized request argument supplied: " + RequestLimits.shown(name),
                    name,
                    "unknown_parameter");
              }
            });
    var out = CreateJobRequest.newBuilder().setApi(JobApi.JOB_API_FINE_TUNING);
    out.setModel(Params.modelId(required(json, "model"), "model"));
    out.setTrainingFile(Params.string(required(json, "training_file"), "training_file", 64));
    optional(json, "validation_file")
        .ifPresent(v -> out.setValidationFile(Params.string(v, "validation_file", 64)));
    optional(json, "suffix").ifPresent(v -> out.setSuffix(Params.string(v, "suffix", 64)));
    optional(json, "seed")
        .ifPresent(v -> out.setSeed(Params.integer(v, "seed", 0, Integer.MAX_VALUE)));
    optional(json, "metadata").ifPresent(v -> out.putAllMetadata(metadata(v)));
    optional(json, "integrations")
        .ifPresent(
            v -> {
              if (!v.isArray()) {
                throw Params.invalidType("integrations", "an array", v);
              }
              if (!v.isEmpty()) {
                throw new InvalidRequestException(
                    "Integrations are not supported.", "integrations", "unsupported_parameter");
              }
            });
    Optional<JsonNode> hp = optional(json, "hyperparameters");
    var method = optional(json, "method");
    if (method.isPresent()) {
      var m = method.get();
      if (!m.isObject()) {
        throw Params.invalidType("method", "an object", m);
      }
      var type = Params.string(required(m, "type", "method.type"), "method.type", 32);
      if (!type.equals("supervised")) {
        throw new InvalidRequestException(
            "Invalid 'method.type': only 'supervised' is supported.",
            "method.type",
            "invalid_value");
      }
      out.setMethod(type);
      var supervised = optional(m, "supervised");
      if (supervised.isPresent()) {
        if (!supervised.get().isObject()) {
          throw Params.invalidType("method.supervised", "an object", supervised.get());
        }
        var inner = optional(supervised.get(), "hyperparameters");
        if (inner.isPresent()) {
          if (hp.isPresent()) {
            throw new InvalidRequestException(
                "Give hyperparameters either at the top level or in method.supervised, not both.",
                "hyperparameters",
                "invalid_value");
          }
          out.setHyperparameters(hyperparameters(inner.get(), "method.supervised.hyperparameters"));
        }
      }
    }
    hp.ifPresent(h -> out.setHyperparameters(hyperparameters(h, "hyperparameters")));
    return out;
  }

  private static JsonNode required(JsonNode json, String name) {
    return required(json, name, name);
  }

  private static JsonNode required(JsonNode json, String name, String param) {
    var v = json.get(name);
    if (v == null || v.isNull()) {
      throw Params.missing(param);
    }
    return v;
  }

  private static Optional<JsonNode> optional(JsonNode json, String name) {
    var v = json.get(name);
    return v == null || v.isNull() ? Optional.empty() : Optional.of(v);
  }

  static Map<String, String> metadata(JsonNode v) {
    if (!v.isObject()) {
      throw Params.invalidType("metadata", "an object", v);
    }
    if (v.size() > 16) {
      throw new InvalidRequestException(
          "Invalid 'metadata': at most 16 pairs.", "metadata", "object_above_max_properties");
    }
    var out = new LinkedHashMap<String, String>();
    v.fields()
        .forEachRemaining(
            e -> {
              if (e.getKey().length() > 64) {
                throw Params.tooLong("metadata", 64, e.getKey().length());
              }
              out.put(e.getKey(), Params.string(e.getValue(), "metadata." + e.getKey(), 512));
            });
    return out;
  }

  static Hyperparameters hyperparameters(JsonNode v, String param) {
    if (!v.isObject()) {
      throw Params.invalidType(param, "an object", v);
    }
    var out = Hyperparameters.newBuilder();
    v.fields()
        .forEachRemaining(
            e -> {
              var name = e.getKey();
              var value = e.getValue();
              var p = param + "." + name;
              if (value.isNull() || (value.isTextual() && value.textValue().equals("auto"))) {
                if (!Set.of("n_epochs", "batch_size", "learning_rate_multiplier").contains(name)) {
                  throw unknownHyperparameter(p);
                }
                return;
              }
              switch (name) {
                case "n_epochs" -> out.setNEpochs((int) Params.integer(value, p, 1, 50));
                case "batch_size" -> out.setBatchSize((int) Params.integer(value, p, 1, 256));
                case "learning_rate_multiplier" -> {
                  double lrm = Params.number(value, p, 0, 10);
                  if (lrm <= 0) {
                    throw new InvalidRequestException(
                        "Invalid '" + p + "': it must be greater than 0.",
                        p,
                        "decimal_below_min_value");
                  }
                  out.setLearningRateMultiplier(lrm);
                }
                default -> throw unknownHyperparameter(p);
              }
            });
    return out.build();
  }

  private static InvalidRequestException unknownHyperparameter(String param) {
    return new InvalidRequestException(
        "Unrecognized hyperparameter: " + RequestLimits.shown(param), param, "unknown_parameter");
  }

  static int limit(String value, int fallback, int max) {
    if (value == null || value.isEmpty()) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(value);
      if (n >= 1 && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidRequestException(
        "Invalid 'limit': expected an integer between 1 and " + max + ".",
        "limit",
        "invalid_value");
  }

  static Optional<String> after(String after) {
    if (after == null || after.isEmpty()) {
      return Optional.empty();
    }
    if (after.length() > 64) {
      throw Params.tooLong("after", 64, after.length());
    }
    return Optional.of(after);
  }

  @GET
  public Response list(
      @Context HttpServletRequest request,
      @Context UriInfo uri,
      @QueryParam("after") String after,
      @QueryParam("limit") String limit) {
    var metadata = new LinkedHashMap<String, String>();
    for (var e : uri.getQueryParameters().entrySet()) {
      var key = e.getKey();
      if (key.startsWith("metadata[") && key.endsWith("]")) {
        if (metadata.size() >= 16) {
          throw new InvalidRequestException(
              "Invalid 'metadata': at most 16 pairs.", "metadata", "invalid_value");
        }
        var name = key.substring("metadata[".length(), key.length() - 1);
        var value = e.getValue().getFirst();
        if (name.isEmpty() || name.length() > 64 || value.length() > 512) {
          throw new InvalidRequestException(
              "Invalid 'metadata': keys have 1 to 64 characters, values at most 512.",
              "metadata",
              "invalid_value");
        }
        metadata.put(name, value);
      }
    }
    var page =
        fineTuning.list(
            Callers.of(request),
            JobApi.JOB_API_FINE_TUNING,
            limit(limit, 20, 100),
            after(after),
            metadata);
    var data = page.getJobsList().stream().map(FineTuningObjects::job).toList();
    return FilesResource.json(
        new ObjectList<FineTuningJobObject>("list", data, null, null, page.getHasMore()));
  }

  /** A job of the current API; a legacy job is not found here. */
  private Job job(HttpServletRequest request, String id) {
    var job = fineTuning.get(Callers.of(request), id);
    requireApi(job, id);
    return job;
  }

  static void requireApi(Job job, String id) {
    if (job.getApi() != JobApi.JOB_API_FINE_TUNING) {
      throw notFound(id);
    }
  }

  static io.parley.gateway.domain.GatewayException notFound(String id) {
    return new io.parley.gateway.domain.GatewayException(
        404,
        io.parley.gateway.domain.GatewayException.INVALID_REQUEST,
        "not_found",
        "fine_tuning_job_id",
        "No such fine-tuning job: " + RequestLimits.shown(id));
  }

  @GET
  @Path("{id}")
  public Response get(@Context HttpServletRequest request, @PathParam("id") String id) {
    return FilesResource.json(FineTuningObjects.job(job(request, id)));
  }

  @POST
  @Path("{id}/cancel")
  public Response cancel(@Context HttpServletRequest request, @PathParam("id") String id) {
    job(request, id);
    return FilesResource.json(FineTuningObjects.job(fineTuning.cancel(Callers.of(request), id)));
  }

  @POST
  @Path("{id}/pause")
  public Response pause(@Context HttpServletRequest request, @PathParam("id") String id) {
    job(request, id);
    return FilesResource.json(FineTuningObjects.job(fineTuning.pause(Callers.of(request), id)));
  }

  @POST
  @Path("{id}/resume")
  public Response resume(@Context HttpServletRequest request, @PathParam("id") String id) {
    job(request, id);
    return FilesResource.json(FineTuningObjects.job(fineTuning.resume(Callers.of(request), id)));
  }

  @GET
  @Path("{id}/events")
  public Response events(
      @Context HttpServletRequest request,
      @PathParam("id") String id,
      @QueryParam("after") String after,
      @QueryParam("limit") String limit) {
    job(request, id);
    var page =
        fineTuning.events(Callers.of(request), id, limit(limit, 20, 100), false, after(after));
    var data = page.getEventsList().stream().map(FineTuningObjects::event).toList();
    return FilesResource.json(
        new ObjectList<FineTuningEventObject>("list", data, null, null, page.getHasMore()));
  }

  @GET
  @Path("{id}/checkpoints")
  public Response checkpoints(
      @Context HttpServletRequest request,
      @PathParam("id") String id,
      @QueryParam("after") String after,
      @QueryParam("limit") String limit) {
    job(request, id);
    var page = fineTuning.checkpoints(Callers.of(request), id, limit(limit, 10, 100), after(after));
    var data =
        page.getCheckpointsList().stream().map(c -> FineTuningObjects.checkpoint(id, c)).toList();
    return FilesResource.json(
        new ObjectList<FineTuningCheckpointObject>(
            "list",
            data,
            data.isEmpty() ? null : data.getFirst().id(),
            data.isEmpty() ? null : data.getLast().id(),
            page.getHasMore()));
  }
}
