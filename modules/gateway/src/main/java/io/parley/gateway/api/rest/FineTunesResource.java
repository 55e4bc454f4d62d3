package io.parley.gateway.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.finetuning.v1.CreateJobRequest;
import io.parley.finetuning.v1.Hyperparameters;
import io.parley.finetuning.v1.Job;
import io.parley.finetuning.v1.JobApi;
import io.parley.finetuning.v1.JobEvent;
import io.parley.gateway.api.rest.dto.FileObject;
import io.parley.gateway.api.rest.dto.FineTuneEventObject;
import io.parley.gateway.api.rest.dto.FineTuneObject;
import io.parley.gateway.api.rest.dto.ObjectList;
import io.parley.gateway.application.Drain;
import io.parley.gateway.application.FileStorage;
import io.parley.gateway.application.FineTuning;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.gateway.domain.ServiceUnavailableException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.CacheControl;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The legacy fine-tunes API ({@code /v1/fine-tunes}): create, list, retrieve, cancel, and events,
 * also as a server-sent event stream ({@code ?stream=true}: {@code data:
 * {"object":"fine-tune-event",…}} lines as they happen, {@code data: [DONE]} once the job ended;
 * while the gateway drains, a stream with nothing new ends with an error event, 503 {@code
 * service_unavailable}, so that the client reconnects to another replica). Its jobs are trained
 * like the current API's; their model ids are {@code
 * <base>:ft-<org>[:<suffix>]-<yyyy-MM-dd-HH-mm-ss>}.
 */
@ApplicationScoped
@Path("/v1/fine-tunes")
public class FineTunesResource {

  static final Set<String> FIELDS =
      Set.of(
          "training_file",
          "validation_file",
          "model",
          "n_epochs",
          "batch_size",
          "learning_rate_multiplier",
          "prompt_loss_weight",
          "compute_classification_metrics",
          "classification_n_classes",
          "classification_positive_class",
          "classification_betas",
          "suffix");

  private FineTuning fineTuning;
  private FileStorage files;
  private long maxBodyBytes;
  private long streamPollMillis;
  private long streamMaxMillis;
  private Drain drain;

  /** For CDI proxies. */
  protected FineTunesResource() {}

  @Inject
  public FineTunesResource(
      FineTuning fineTuning,
      FileStorage files,
      @ConfigProperty(name = "parley.gateway.max-body-bytes") long maxBodyBytes,
      @ConfigProperty(name = "parley.finetuning.events.poll-ms") long streamPollMillis,
      @ConfigProperty(name = "parley.finetuning.events.max-stream-ms") long streamMaxMillis,
      Drain drain) {
    this.fineTuning = fineTuning;
    this.files = files;
    this.maxBodyBytes = Math.min(FineTuningJobsResource.MAX_BODY, maxBodyBytes);
    this.streamPollMillis = streamPollMillis;
    this.streamMaxMillis = streamMaxMillis;
    this.drain = drain;
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
    var caller = Callers.of(request);
    var job = fineTuning.create(caller, parse(json));
    return FilesResource.json(object(caller, job, true));
  }

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
    var out = CreateJobRequest.newBuilder().setApi(JobApi.JOB_API_LEGACY);
    var training = json.get("training_file");
    if (training == null || training.isNull()) {
      throw Params.missing("training_file");
    }
    out.setTrainingFile(Params.string(training, "training_file", 64));
    var model = json.get("model");
    if (model == null || model.isNull()) {
      throw Params.missing("model");
    }
    out.setModel(Params.modelId(model, "model"));
    present(json, "validation_file")
        .ifPresent(v -> out.setValidationFile(Params.string(v, "validation_file", 64)));
    present(json, "suffix").ifPresent(v -> out.setSuffix(Params.string(v, "suffix", 40)));
    var h = Hyperparameters.newBuilder();
    present(json, "n_epochs")
        .ifPresent(v -> h.setNEpochs((int) Params.integer(v, "n_epochs", 1, 50)));
    present(json, "batch_size")
        .ifPresent(v -> h.setBatchSize((int) Params.integer(v, "batch_size", 1, 256)));
    present(json, "learning_rate_multiplier")
        .ifPresent(
            v -> {
              double lrm = Params.number(v, "learning_rate_multiplier", 0, 10);
              if (lrm <= 0) {
                throw new InvalidRequestException(
                    "Invalid 'learning_rate_multiplier': it must be greater than 0.",
                    "learning_rate_multiplier",
                    "decimal_below_min_value");
              }
              h.setLearningRateMultiplier(lrm);
            });
    present(json, "prompt_loss_weight")
        .ifPresent(v -> h.setPromptLossWeight(Params.number(v, "prompt_loss_weight", 0, 1)));
    present(json, "compute_classification_metrics")
        .ifPresent(
            v -> {
              if (!v.isBoolean()) {
                throw Params.invalidType("compute_classification_metrics", "a boolean", v);
              }
              if (v.booleanValue()) {
                throw new InvalidRequestException(
                    "compute_classification_metrics is not supported: Parley's trainer reports"
                        + " loss and token accuracy only.",
                    "compute_classification_metrics",
                    "unsupported_parameter");
              }
            });
    for (var name :
        List.of(
            "classification_n_classes", "classification_positive_class", "classification_betas")) {
      if (present(json, name).isPresent()) {
        throw new InvalidRequestException(
            name + " is not supported (no classification metrics are computed).",
            name,
            "unsupported_parameter");
      }
    }
    out.setHyperparameters(h);
    return out;
  }

  private static Optional<JsonNode> present(JsonNode json, String name) {
    var v = json.get(name);
    return v == null || v.isNull() ? Optional.empty() : Optional.of(v);
  }

  /** A legacy job of the caller; a current-API job is not found here. */
  private Job job(Caller caller, String id) {
    var job = fineTuning.get(caller, id);
    if (job.getApi() != JobApi.JOB_API_LEGACY) {
      throw new GatewayException(
          404,
          GatewayException.INVALID_REQUEST,
          "not_found",
          "fine_tune_id",
          "No such fine-tune: " + RequestLimits.shown(id));
    }
    return job;
  }

  /** The fine-tune object with its events and file objects. */
  private FineTuneObject object(Caller caller, Job job, boolean withEvents) {
    List<FineTuneEventObject> events = withEvents ? allEvents(caller, job.getId()) : List.of();
    var ids = new LinkedHashSet<String>();
    ids.add(job.getTrainingFile());
    if (!job.getValidationFile().isEmpty()) {
      ids.add(job.getValidationFile());
    }
    ids.addAll(job.getResultFilesList());
    Map<String, FileObject> found = new HashMap<>();
    for (var id : ids) {
      try {
        found.put(id, FileObjects.of(files.get(caller, id)));
      } catch (GatewayException e) {
        if (e.status() != 404) {
          throw e;
        }
      }
    }
    return FineTuningObjects.legacy(job, events, found);
  }

  private List<FineTuneEventObject> allEvents(Caller caller, String id) {
    var out = new ArrayList<FineTuneEventObject>();
    Optional<String> after = Optional.empty();
    for (int page = 0; page < 100; page++) {
      var events = fineTuning.events(caller, id, 1000, true, after);
      events.getEventsList().forEach(e -> out.add(FineTuningObjects.legacyEvent(e)));
      if (!events.getHasMore() || events.getEventsCount() == 0) {
        break;
      }
      after = Optional.of(events.getEventsList().getLast().getId());
    }
    return out;
  }

  @GET
  public Response list(@Context HttpServletRequest request) {
    var caller = Callers.of(request);
    var page = fineTuning.list(caller, JobApi.JOB_API_LEGACY, 100, Optional.empty(), Map.of());
    var data = page.getJobsList().stream().map(j -> object(caller, j, false)).toList();
    return FilesResource.json(new ObjectList<FineTuneObject>("list", data, null, null, null));
  }

  @GET
  @Path("{id}")
  public Response get(@Context HttpServletRequest request, @PathParam("id") String id) {
    var caller = Callers.of(request);
    return FilesResource.json(object(caller, job(caller, id), true));
  }

  @POST
  @Path("{id}/cancel")
  public Response cancel(@Context HttpServletRequest request, @PathParam("id") String id) {
    var caller = Callers.of(request);
    job(caller, id);
    return FilesResource.json(object(caller, fineTuning.cancel(caller, id), true));
  }

  @GET
  @Path("{id}/events")
  public Response events(
      @Context HttpServletRequest request,
      @PathParam("id") String id,
      @QueryParam("stream") String stream) {
    var caller = Callers.of(request);
    job(caller, id);
    boolean streaming = stream != null && stream.equals("true");
    if (stream != null && !streaming && !stream.equals("false")) {
      throw new InvalidRequestException(
          "Invalid 'stream': expected true or false.", "stream", "invalid_value");
    }
    if (!streaming) {
      return FilesResource.json(
          new ObjectList<FineTuneEventObject>("list", allEvents(caller, id), null, null, null));
    }
    var output = eventStream(caller, id);
    var noCache = new CacheControl();
    noCache.setNoCache(true);
    return Response.ok(output, "text/event-stream").cacheControl(noCache).build();
  }

  /** The event stream of a job the caller may see. */
  StreamingOutput eventStream(Caller caller, String id) {
    // the first page is read before the status line, so a failing call is still a JSON error
    var first = fineTuning.events(caller, id, 100, true, Optional.empty());
    return out -> streamEvents(caller, id, first.getEventsList(), out);
  }

  private void streamEvents(
      Caller caller, String id, List<JobEvent> first, java.io.OutputStream out) throws IOException {
    var sse = new SseWriter(out);
    long deadline = System.currentTimeMillis() + streamMaxMillis;
    Optional<String> after = Optional.empty();
    List<JobEvent> batch = first;
    try {
      while (true) {
        for (var e : batch) {
          Json.WRITER.writeValue(sse.begin(new byte[0]), FineTuningObjects.legacyEvent(e));
          sse.end();
          after = Optional.of(e.getId());
        }
        if (batch.size() == 100) {
          batch = fineTuning.events(caller, id, 100, true, after).getEventsList();
          continue;
        }
        boolean ended = FineTuningObjects.ended(fineTuning.get(caller, id).getStatus());
        batch = fineTuning.events(caller, id, 100, true, after).getEventsList();
        if (ended && batch.isEmpty()) {
          sse.done();
          return;
        }
        if (batch.isEmpty()) {
          if (System.currentTimeMillis() > deadline) {
            return;
          }
          if (drain.draining()) {
            // A watch with nothing new holds the drain up for no one: it ends at once, with an
            // error event that tells the client to reconnect (to another replica).
            throw ServiceUnavailableException.shuttingDown(1);
          }
          try {
            Thread.sleep(streamPollMillis);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
          batch = fineTuning.events(caller, id, 100, true, after).getEventsList();
        }
      }
    } catch (GatewayException e) {
      sse.error(Errors.envelope(e, ""));
    }
  }
}
