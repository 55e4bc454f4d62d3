package io.parley.files.application;

import io.parley.common.ids.Ids;
import io.parley.files.domain.BlobStore;
import io.parley.files.domain.Caller;
import io.parley.files.domain.FileStatus;
import io.parley.files.domain.FineTunedModel;
import io.parley.files.domain.FineTuningJob;
import io.parley.files.domain.InvalidFileRequestException;
import io.parley.files.domain.JobApi;
import io.parley.files.domain.JobCheckpoint;
import io.parley.files.domain.JobEvent;
import io.parley.files.domain.JobRepository;
import io.parley.files.domain.JobStatus;
import io.parley.files.domain.NotFoundException;
import io.parley.files.domain.TrainingParameters;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * The fine-tuning use cases: jobs (create, read, cancel, pause, resume, events, checkpoints) and
 * the fine-tuned model registry. Every call runs in the caller's organization: another
 * organization's job or model is reported as not found. Jobs are checked completely before they are
 * queued; the {@link FineTuningWorker} trains them.
 */
public final class FineTuningService {

  /** Most metadata pairs, longest key and value (OpenAI's limits). */
  static final int MAX_METADATA = 16;

  static final int MAX_METADATA_KEY = 64;
  static final int MAX_METADATA_VALUE = 512;

  /** Bounds of the hyperparameters. */
  static final int MAX_EPOCHS = 50;

  static final int MAX_BATCH = 256;
  static final double MAX_LRM = 10;

  private static final Pattern SUFFIX = Pattern.compile("[a-z0-9-]{0,64}");
  private static final Pattern JOB_ID = Pattern.compile("(ftjob|ft)-[A-Za-z0-9]{1,40}");
  private static final SecureRandom SEEDS = new SecureRandom();

  private final JobRepository jobs;
  private final FileService files;
  private final BlobStore blobs;
  private final FineTuningSettings settings;
  private final Clock clock;

  public FineTuningService(
      JobRepository jobs,
      FileService files,
      BlobStore blobs,
      FineTuningSettings settings,
      Clock clock) {
    this.jobs = jobs;
    this.files = files;
    this.blobs = blobs;
    this.settings = settings;
    this.clock = clock;
  }

  /**
   * What a new job asks for.
   *
   * @param api the API it comes through
   * @param model base model id
   * @param trainingFile training file id
   * @param validationFile validation file id
   * @param parameters hyperparameters (empty = auto)
   * @param suffix suffix of the model name
   * @param seed seed; empty = random
   * @param metadata caller-supplied pairs
   * @param method training method; empty or {@code supervised}
   */
  public record NewJob(
      JobApi api,
      String model,
      String trainingFile,
      Optional<String> validationFile,
      TrainingParameters parameters,
      String suffix,
      OptionalLong seed,
      Map<String, String> metadata,
      String method) {}

  /**
   * Checks and queues a job.
   *
   * @throws InvalidFileRequestException when a field is unusable (param names it): an unknown,
   *     unprocessed or non-fine-tune file, a base model that cannot be trained, a bad suffix,
   *     hyperparameters out of bounds, too much metadata
   */
  public FineTuningJob create(Caller caller, NewJob request) {
    if (!request.method().isEmpty() && !request.method().equals("supervised")) {
      throw new InvalidFileRequestException(
          "Only the 'supervised' method is supported.", "method.type");
    }
    if (request.model() == null || request.model().isBlank()) {
      throw new InvalidFileRequestException(
          "missing_required_parameter", "Missing required parameter: 'model'.", "model");
    }
    if (!settings.baseModels().containsKey(request.model())) {
      throw new InvalidFileRequestException(
          "model_not_available",
          "Model '"
              + NotFoundException.shown(request.model())
              + "' is not available for fine-tuning; trainable models: "
              + String.join(", ", settings.baseModels().keySet().stream().sorted().toList())
              + ".",
          "model");
    }
    checkFile(caller, request.trainingFile(), "training_file");
    request.validationFile().ifPresent(f -> checkFile(caller, f, "validation_file"));
    if (request.suffix() == null || !SUFFIX.matcher(request.suffix()).matches()) {
      throw new InvalidFileRequestException(
          "The suffix has at most 64 characters from a-z, 0-9 and '-'.", "suffix");
    }
    checkParameters(request.parameters(), request.api());
    long seed = request.seed().orElse(SEEDS.nextInt(Integer.MAX_VALUE));
    if (seed < 0 || seed > Integer.MAX_VALUE) {
      throw new InvalidFileRequestException("seed must be between 0 and 2147483647.", "seed");
    }
    checkMetadata(request.metadata());
    long now = clock.millis();
    var job =
        new FineTuningJob(
            Ids.next(request.api() == JobApi.LEGACY ? "ft-" : "ftjob-"),
            caller.organization(),
            caller.user(),
            request.api(),
            request.model(),
            request.trainingFile(),
            request.validationFile(),
            request.parameters(),
            Optional.empty(),
            request.suffix(),
            seed,
            Map.copyOf(request.metadata()),
            JobStatus.QUEUED,
            Optional.empty(),
            OptionalLong.empty(),
            Optional.empty(),
            Optional.empty(),
            now,
            now,
            OptionalLong.empty(),
            OptionalLong.empty(),
            0);
    jobs.insert(job, event("info", "Created fine-tuning job: " + job.id(), now));
    return job;
  }

  private void checkFile(Caller caller, String id, String param) {
    if (id == null || id.isBlank()) {
      throw new InvalidFileRequestException(
          "missing_required_parameter", "Missing required parameter: '" + param + "'.", param);
    }
    var code = "invalid_" + param;
    var file =
        files
            .find(caller.organization(), id)
            .orElseThrow(
                () ->
                    new InvalidFileRequestException(
                        code, "invalid " + param + ": " + NotFoundException.shown(id), param));
    if (!file.purpose().equals(FileService.FINE_TUNE)) {
      throw new InvalidFileRequestException(
          code, "File " + id + " has purpose '" + file.purpose() + "', not 'fine-tune'.", param);
    }
    if (file.status() != FileStatus.PROCESSED) {
      throw new InvalidFileRequestException(
          code,
          "File "
              + id
              + " is not ready for fine-tuning ("
              + file.status().name().toLowerCase(java.util.Locale.ROOT)
              + file.statusDetails().map(d -> ": " + d).orElse("")
              + ").",
          param);
    }
  }

  private static void checkParameters(TrainingParameters p, JobApi api) {
    if (p.epochs().isPresent()
        && (p.epochs().getAsInt() < 1 || p.epochs().getAsInt() > MAX_EPOCHS)) {
      throw new InvalidFileRequestException(
          "n_epochs must be between 1 and " + MAX_EPOCHS + ".", param(api, "n_epochs"));
    }
    if (p.batchSize().isPresent()
        && (p.batchSize().getAsInt() < 1 || p.batchSize().getAsInt() > MAX_BATCH)) {
      throw new InvalidFileRequestException(
          "batch_size must be between 1 and " + MAX_BATCH + ".", param(api, "batch_size"));
    }
    if (p.learningRateMultiplier().isPresent()) {
      double v = p.learningRateMultiplier().getAsDouble();
      if (!(v > 0 && v <= MAX_LRM)) {
        throw new InvalidFileRequestException(
            "learning_rate_multiplier must be greater than 0 and at most " + (int) MAX_LRM + ".",
            param(api, "learning_rate_multiplier"));
      }
    }
    if (p.promptLossWeight().isPresent()) {
      double v = p.promptLossWeight().getAsDouble();
      if (!(v >= 0 && v <= 1)) {
        throw new InvalidFileRequestException(
            "prompt_loss_weight must be between 0 and 1.", "prompt_loss_weight");
      }
    }
  }

  private static String param(JobApi api, String name) {
    return api == JobApi.LEGACY ? name : "hyperparameters." + name;
  }

  private static void checkMetadata(Map<String, String> metadata) {
    if (metadata.size() > MAX_METADATA) {
      throw new InvalidFileRequestException(
          "metadata has at most " + MAX_METADATA + " pairs.", "metadata");
    }
    for (var e : metadata.entrySet()) {
      if (e.getKey().isEmpty() || e.getKey().length() > MAX_METADATA_KEY) {
        throw new InvalidFileRequestException(
            "metadata keys have 1 to " + MAX_METADATA_KEY + " characters.", "metadata");
      }
      if (e.getValue().length() > MAX_METADATA_VALUE) {
        throw new InvalidFileRequestException(
            "metadata values have at most " + MAX_METADATA_VALUE + " characters.", "metadata");
      }
    }
  }

  static JobEvent event(String level, String message, long now) {
    return new JobEvent(Ids.next("ftevent-"), now, level, "message", message, Optional.empty());
  }

  /** One job of the caller's organization. */
  public FineTuningJob get(Caller caller, String id) {
    if (id == null || !JOB_ID.matcher(id).matches()) {
      throw NotFoundException.job(id == null ? "" : id);
    }
    return jobs.find(caller.organization(), id).orElseThrow(() -> NotFoundException.job(id));
  }

  /**
   * A page of jobs, newest first.
   *
   * @param hasMore whether more follow
   */
  public record Page<T>(List<T> items, boolean hasMore) {}

  /** A page of the organization's jobs, newest first. */
  public Page<FineTuningJob> list(
      Caller caller,
      Optional<JobApi> api,
      Map<String, String> metadata,
      int limit,
      Optional<String> after) {
    checkLimit(limit);
    checkMetadata(metadata);
    Optional<FineTuningJob> start = Optional.empty();
    if (after.isPresent()) {
      start =
          Optional.of(
              jobs.find(caller.organization(), after.get())
                  .orElseThrow(
                      () ->
                          new InvalidFileRequestException(
                              "No such fine-tuning job for 'after': "
                                  + NotFoundException.shown(after.get()),
                              "after")));
    }
    var found = jobs.list(caller.organization(), api, metadata, limit + 1, start);
    return new Page<>(found.subList(0, Math.min(limit, found.size())), found.size() > limit);
  }

  private static void checkLimit(int limit) {
    if (limit < 1 || limit > 10_000) {
      throw new InvalidFileRequestException("limit must be between 1 and 10000.", "limit");
    }
  }

  /**
   * Cancels a job; a running trainer is stopped by its worker within a heartbeat.
   *
   * @throws io.parley.files.domain.JobStateException when the job has ended
   */
  public FineTuningJob cancel(Caller caller, String id) {
    get(caller, id);
    return jobs.transition(
            caller.organization(),
            id,
            List.of(
                JobStatus.VALIDATING_FILES, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.PAUSED),
            JobStatus.CANCELLED,
            event("info", "Fine-tuning job cancelled", clock.millis()),
            clock.millis())
        .orElseThrow(() -> NotFoundException.job(id));
  }

  /** Pauses a queued or running job; it keeps its checkpoints. */
  public FineTuningJob pause(Caller caller, String id) {
    get(caller, id);
    return jobs.transition(
            caller.organization(),
            id,
            List.of(JobStatus.QUEUED, JobStatus.RUNNING),
            JobStatus.PAUSED,
            event("info", "Fine-tuning job paused", clock.millis()),
            clock.millis())
        .orElseThrow(() -> NotFoundException.job(id));
  }

  /** Queues a paused job again; it continues from its last checkpoint. */
  public FineTuningJob resume(Caller caller, String id) {
    get(caller, id);
    return jobs.transition(
            caller.organization(),
            id,
            List.of(JobStatus.PAUSED),
            JobStatus.QUEUED,
            event("info", "Fine-tuning job resumed", clock.millis()),
            clock.millis())
        .orElseThrow(() -> NotFoundException.job(id));
  }

  /** A page of a job's events, newest first unless {@code ascending}. */
  public Page<JobEvent> events(
      Caller caller, String id, int limit, boolean ascending, Optional<String> after) {
    checkLimit(limit);
    get(caller, id);
    var found = jobs.events(id, limit + 1, ascending, after);
    return new Page<>(found.subList(0, Math.min(limit, found.size())), found.size() > limit);
  }

  /** A page of a job's checkpoints, newest first. */
  public Page<JobCheckpoint> checkpoints(
      Caller caller, String id, int limit, Optional<String> after) {
    checkLimit(limit);
    get(caller, id);
    var found = jobs.checkpoints(id, limit + 1, after);
    return new Page<>(found.subList(0, Math.min(limit, found.size())), found.size() > limit);
  }

  /**
   * The organization's fine-tuned models of succeeded jobs, newest first. Checkpoints' models are
   * not listed (as in OpenAI's {@code GET /v1/models}); they are found through the job's
   * checkpoints and can still be fetched and served by id.
   */
  public List<FineTunedModel> models(Caller caller) {
    return jobs.models(caller.organization(), false);
  }

  /** One fine-tuned model of the organization. */
  public FineTunedModel model(Caller caller, String id) {
    if (id == null || id.isEmpty() || id.length() > 256) {
      throw NotFoundException.model(id == null ? "" : id);
    }
    return jobs.model(caller.organization(), id).orElseThrow(() -> NotFoundException.model(id));
  }

  /** Deletes a fine-tuned model and its adapter. */
  public FineTunedModel deleteModel(Caller caller, String id) {
    model(caller, id);
    var deleted =
        jobs.deleteModel(caller.organization(), id).orElseThrow(() -> NotFoundException.model(id));
    boolean shared =
        jobs.models(caller.organization(), true).stream()
            .anyMatch(m -> m.adapterKey().equals(deleted.adapterKey()));
    if (!shared) {
      blobs.delete(deleted.adapterKey());
    }
    return deleted;
  }

  /**
   * A model's adapter bytes.
   *
   * @param model the model
   * @param stream its GGUF bytes (the caller closes it)
   */
  public record Adapter(FineTunedModel model, InputStream stream) {}

  /** Opens a model's adapter. */
  public Adapter adapter(Caller caller, String id) {
    var model = model(caller, id);
    return new Adapter(
        model,
        new FileService.CheckedStream(blobs.open(model.adapterKey()), model.adapterSha256()));
  }
}
