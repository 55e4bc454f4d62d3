package io.parley.files.application;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.common.ids.Ids;
import io.parley.files.domain.Billing;
import io.parley.files.domain.BlobStore;
import io.parley.files.domain.Caller;
import io.parley.files.domain.FineTunedModel;
import io.parley.files.domain.FineTuningJob;
import io.parley.files.domain.JobApi;
import io.parley.files.domain.JobCheckpoint;
import io.parley.files.domain.JobEvent;
import io.parley.files.domain.JobRepository;
import io.parley.files.domain.JobRunner;
import io.parley.files.domain.TrainingParameters;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Trains queued jobs. Every poll it claims jobs while it has room ({@code maxConcurrentJobs}; an
 * organization's limit is applied by the claim across replicas), and runs each claimed attempt on a
 * thread of its own: the job's files are copied from the blob store to a work directory, the
 * trainer is started through the {@link JobRunner} (resuming from the job's last checkpoint when an
 * earlier attempt made one), and while it runs the lease is renewed, metrics become events, and
 * each checkpoint's adapter and state go to the blob store. Every write names the attempt, so a
 * worker that lost its job (cancelled, paused, taken over after its lease ran out) changes nothing
 * and stops its trainer. On success the adapter is stored, the result CSV becomes a file, and the
 * model is registered; trained tokens are then billed once, by a request id made from the job id.
 */
public final class FineTuningWorker implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(FineTuningWorker.class.getName());
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern PROGRESS =
      Pattern.compile("epoch (\\d+)\\s+step (\\d+)/(\\d+).*eta (\\d+)s");
  private static final DateTimeFormatter LEGACY_DATE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd-HH-mm-ss").withZone(ZoneOffset.UTC);

  /** Exit statuses of parley-trainer. */
  static final int EXIT_OK = 0;

  static final int EXIT_FAILED = 1;
  static final int EXIT_BAD_INPUT = 2;
  static final int EXIT_CANCELLED = 130;

  private final JobRepository jobs;
  private final FileService files;
  private final BlobStore blobs;
  private final JobRunner runner;
  private final Billing billing;
  private final FineTuningSettings settings;
  private final Clock clock;
  private final String worker;
  private final Semaphore slots;
  private final ScheduledExecutorService poller;
  private final ExecutorService runs;
  private final Set<Attempt> running = ConcurrentHashMap.newKeySet();
  private volatile boolean closing;

  /**
   * @param worker this worker's name in leases (host and process)
   */
  public FineTuningWorker(
      JobRepository jobs,
      FileService files,
      BlobStore blobs,
      JobRunner runner,
      Billing billing,
      FineTuningSettings settings,
      Clock clock,
      String worker) {
    this.jobs = jobs;
    this.files = files;
    this.blobs = blobs;
    this.runner = runner;
    this.billing = billing;
    this.settings = settings;
    this.clock = clock;
    this.worker = worker;
    this.slots = new Semaphore(settings.maxConcurrentJobs());
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("parley-ft-poll").daemon().unstarted(r));
    this.runs =
        Executors.newThreadPerTaskExecutor(
            Thread.ofPlatform().name("parley-ft-job-", 0).daemon().factory());
  }

  /** Starts polling. */
  public void start() {
    long every = settings.poll().toMillis();
    poller.scheduleWithFixedDelay(this::poll, every, every, TimeUnit.MILLISECONDS);
  }

  /** One look at the queue and at the unbilled jobs. */
  void poll() {
    try {
      while (!closing && slots.tryAcquire()) {
        Optional<JobRepository.Claim> claim;
        try {
          claim =
              jobs.claim(
                  worker,
                  clock.millis(),
                  settings.lease().toMillis(),
                  settings.maxConcurrentPerOrganization());
        } catch (RuntimeException e) {
          slots.release();
          throw e;
        }
        if (claim.isEmpty()) {
          slots.release();
          break;
        }
        var c = claim.get();
        runs.execute(
            () -> {
              try {
                run(c);
              } catch (RuntimeException e) {
                LOG.log(
                    System.Logger.Level.ERROR, "Fine-tuning job " + c.job().id() + " failed", e);
              } finally {
                slots.release();
              }
            });
      }
      billPending();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Fine-tuning poll failed", e);
    }
  }

  /**
   * Bills the trained tokens of succeeded jobs not billed yet (idempotent by request id). The
   * poller and a job's own run both call it; one at a time, so a job is sent once from this worker.
   */
  synchronized void billPending() {
    if (!billing.enabled()) {
      return;
    }
    for (var job : jobs.unbilled(20)) {
      try {
        billing.bill(
            billingRequestId(job.id()),
            job.organization(),
            job.fineTunedModel().orElse(job.model()),
            job.trainedTokens().orElse(0));
        jobs.billed(job.id());
      } catch (RuntimeException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            "Could not bill fine-tuning job " + job.id() + "; retrying later",
            e);
        return;
      }
    }
  }

  /** The usage ledger's request id of a job's training: the same for every attempt. */
  public static String billingRequestId(String jobId) {
    return jobId + ":training";
  }

  /** One attempt in progress. */
  private final class Attempt {
    final FineTuningJob job;
    final int attempt;
    final Path output;
    volatile JobRunner.Execution execution;
    volatile boolean stopping;
    int lastStep;
    int totalSteps;
    final java.util.Set<Integer> storedEpochs = new java.util.HashSet<>();

    Attempt(FineTuningJob job) {
      this.job = job;
      this.attempt = job.attempt();
      // one directory per attempt: an attempt that lost its job cleans up only after itself
      this.output = settings.workDirectory().resolve(job.id()).resolve("attempt-" + attempt);
    }
  }

  private void run(JobRepository.Claim claim) {
    var job = claim.job();
    claim.previousRunner().ifPresent(ref -> runner.stopLeftover(ref, job.id()));
    var a = new Attempt(job);
    long now = clock.millis();
    if (a.attempt > settings.maxAttempts()) {
      jobs.fail(
          job.id(),
          a.attempt,
          new FineTuningJob.JobError(
              "training_failed",
              "Training stopped unexpectedly " + (a.attempt - 1) + " times; the job was given up.",
              Optional.empty()),
          FineTuningService.event("error", "Fine-tuning job failed: too many attempts", now),
          now);
      return;
    }
    running.add(a);
    try {
      train(a);
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING, "Attempt " + a.attempt + " of " + job.id() + " failed", e);
      if (a.execution != null) {
        stop(a.execution);
      }
      jobs.requeue(
          job.id(),
          a.attempt,
          FineTuningService.event(
              "warn",
              "The worker failed; the job will resume from its last checkpoint",
              clock.millis()),
          clock.millis());
    } finally {
      running.remove(a);
      deleteTree(a.output);
      try {
        Files.deleteIfExists(a.output.getParent());
      } catch (IOException notEmpty) {
        // another attempt of the job works here
      }
    }
  }

  private void train(Attempt a) {
    var job = a.job;
    var model = settings.baseModels().get(job.model());
    if (model == null) {
      fail(
          a,
          "invalid_model",
          "The base model " + job.model() + " is no longer configured.",
          "model");
      return;
    }
    try {
      Files.createDirectories(a.output);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    var training = copyFile(job, job.trainingFile(), a.output.resolve("training.jsonl"));
    var validation =
        job.validationFile().map(f -> copyFile(job, f, a.output.resolve("validation.jsonl")));
    var args = new ArrayList<String>();
    args.addAll(List.of("--model", model.toString()));
    args.addAll(List.of("--training-file", training.toString()));
    validation.ifPresent(v -> args.addAll(List.of("--validation-file", v.toString())));
    args.addAll(List.of("--output", a.output.toString()));
    var p = job.requested();
    p.epochs().ifPresent(v -> args.addAll(List.of("--n-epochs", Integer.toString(v))));
    p.batchSize().ifPresent(v -> args.addAll(List.of("--batch-size", Integer.toString(v))));
    p.learningRateMultiplier()
        .ifPresent(v -> args.addAll(List.of("--learning-rate-multiplier", Double.toString(v))));
    p.promptLossWeight()
        .ifPresent(v -> args.addAll(List.of("--prompt-loss-weight", Double.toString(v))));
    args.addAll(List.of("--seed", Long.toString(job.seed())));
    if (settings.trainerThreads() > 0) {
      args.addAll(List.of("--threads", Integer.toString(settings.trainerThreads())));
    }
    var epochs = jobs.checkpointEpochs(job.id());
    String started;
    if (!epochs.isEmpty()) {
      int epoch = epochs.getFirst();
      var resume = restoreCheckpoint(a, epoch);
      args.addAll(List.of("--resume-from", resume.toString()));
      a.storedEpochs.addAll(epochs);
      started = "Fine-tuning job resumed from the checkpoint of epoch " + epoch;
    } else {
      started = "Fine-tuning job started";
    }
    a.lastStep = jobs.lastMetricsStep(job.id());
    if (!jobs.addEvents(
        job.id(),
        a.attempt,
        List.of(
            new JobRepository.NewEvent(
                FineTuningService.event("info", started, clock.millis()), Optional.empty())))) {
      return;
    }
    a.execution = runner.start(new JobRunner.Spec(job.id(), a.attempt, args, a.output));
    if (!jobs.runner(job.id(), a.attempt, a.execution.reference())) {
      stop(a.execution);
      return;
    }
    OptionalInt exit;
    while (true) {
      exit = a.execution.await(settings.heartbeat());
      if (exit.isPresent()) {
        break;
      }
      boolean held =
          jobs.heartbeat(job.id(), a.attempt, clock.millis() + settings.lease().toMillis());
      if (!held || closing) {
        a.stopping = true;
        stop(a.execution);
        if (held && closing) {
          jobs.requeue(
              job.id(),
              a.attempt,
              FineTuningService.event(
                  "info",
                  "The worker stopped; the job will resume from its last checkpoint",
                  clock.millis()),
              clock.millis());
        }
        return;
      }
      sync(a, false);
    }
    int status = exit.getAsInt();
    sync(a, status == EXIT_OK);
    switch (status) {
      case EXIT_OK -> succeed(a);
      case EXIT_BAD_INPUT ->
          fail(
              a,
              "invalid_training_file",
              a.execution.lastError().orElse("The training file could not be used."),
              "training_file");
      case EXIT_FAILED ->
          fail(a, "training_failed", a.execution.lastError().orElse("Training failed."), null);
      default -> {
        if (!a.stopping) {
          jobs.requeue(
              job.id(),
              a.attempt,
              FineTuningService.event(
                  "warn",
                  "The trainer stopped unexpectedly (exit status "
                      + status
                      + "); the job will resume from its last checkpoint",
                  clock.millis()),
              clock.millis());
        }
      }
    }
  }

  private void stop(JobRunner.Execution execution) {
    execution.stop();
    if (execution.await(Duration.ofSeconds(30)).isEmpty()) {
      execution.kill();
    }
  }

  private Path copyFile(FineTuningJob job, String fileId, Path target) {
    try (InputStream in = files.openForJob(job.organization(), fileId)) {
      var temp = target.resolveSibling(target.getFileName() + ".part");
      Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot copy " + fileId + " for " + job.id(), e);
    }
  }

  /** Blob key of a checkpoint's file (the blob store's keys are {@code kind/name}). */
  private static String checkpointKey(String jobId, int epoch, String file) {
    var part =
        switch (file) {
          case "adapter.gguf" -> "adapter";
          case "state.bin" -> "state";
          default -> "metrics";
        };
    return "finetuning/" + jobId + "-ckpt-" + epoch + "-" + part;
  }

  /** Copies a checkpoint from the blob store into the attempt's directory (any replica resumes). */
  private Path restoreCheckpoint(Attempt a, int epoch) {
    var dir = a.output.resolve("resume").resolve("epoch-" + epoch);
    try {
      Files.createDirectories(dir);
      for (var name : List.of("adapter.gguf", "state.bin")) {
        try (var in = blobs.open(checkpointKey(a.job.id(), epoch, name))) {
          Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      try (var in = blobs.open(checkpointKey(a.job.id(), epoch, "metrics.jsonl"))) {
        Files.copy(in, a.output.resolve("metrics.jsonl"), StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  /** Reads the trainer's output: new metrics lines become events, new checkpoints are stored. */
  private void sync(Attempt a, boolean ended) {
    a.execution
        .lastError()
        .flatMap(FineTuningWorker::progress)
        .ifPresent(
            pr -> {
              a.totalSteps = pr[2];
              jobs.progress(
                  a.job.id(),
                  a.attempt,
                  Optional.empty(),
                  clock.millis() + pr[3] * 1000L,
                  clock.millis());
            });
    List<JsonNode> lines = metrics(a.output.resolve("metrics.jsonl"));
    var events = new ArrayList<JobRepository.NewEvent>();
    for (var m : lines) {
      int step = m.path("step").asInt();
      if (step <= a.lastStep) {
        continue;
      }
      var data = JSON.createObjectNode();
      data.put("step", step);
      data.put("train_loss", m.path("train_loss").asDouble());
      data.put("train_mean_token_accuracy", m.path("train_mean_token_accuracy").asDouble());
      if (!m.path("valid_loss").isNull() && !m.path("valid_loss").isMissingNode()) {
        data.put("valid_loss", m.path("valid_loss").asDouble());
        data.put("valid_mean_token_accuracy", m.path("valid_mean_token_accuracy").asDouble());
      }
      if (a.totalSteps > 0) {
        data.put("total_steps", a.totalSteps);
      }
      var message =
          String.format(
              java.util.Locale.ROOT,
              "Step %d%s: training loss=%.4f",
              step,
              a.totalSteps > 0 ? "/" + a.totalSteps : "",
              m.path("train_loss").asDouble());
      events.add(
          new JobRepository.NewEvent(
              new JobEvent(
                  Ids.next("ftevent-"),
                  clock.millis(),
                  "info",
                  "metrics",
                  message,
                  Optional.of(data.toString())),
              Optional.of(step)));
      a.lastStep = step;
    }
    if (!events.isEmpty()) {
      jobs.addEvents(a.job.id(), a.attempt, events);
    }
    var checkpoints = a.output.resolve("checkpoints");
    if (Files.isDirectory(checkpoints)) {
      try (var dirs = Files.list(checkpoints)) {
        for (var d : dirs.sorted().toList()) {
          var name = d.getFileName().toString();
          if (!name.startsWith("epoch-") || !Files.exists(d.resolve("state.bin"))) {
            continue;
          }
          int epoch = Integer.parseInt(name.substring("epoch-".length()));
          if (a.storedEpochs.contains(epoch)) {
            continue;
          }
          storeCheckpoint(a, epoch, d, lines);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private static Optional<int[]> progress(String stderr) {
    int[] last = null;
    for (var line : stderr.split("\n")) {
      var m = PROGRESS.matcher(line);
      if (m.find()) {
        last =
            new int[] {
              Integer.parseInt(m.group(1)),
              Integer.parseInt(m.group(2)),
              Integer.parseInt(m.group(3)),
              Integer.parseInt(m.group(4))
            };
      }
    }
    return Optional.ofNullable(last);
  }

  private static List<JsonNode> metrics(Path file) {
    if (!Files.exists(file)) {
      return List.of();
    }
    var out = new ArrayList<JsonNode>();
    try {
      for (var line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (line.isBlank()) {
          continue;
        }
        try {
          out.add(JSON.readTree(line));
        } catch (IOException partial) {
          break; // the trainer is writing this line
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /** The step recorded in a trainer checkpoint's header (magic, fingerprint, epochs, step). */
  private static int checkpointStep(Path stateFile) {
    try (var in =
        new java.io.DataInputStream(
            new java.io.BufferedInputStream(Files.newInputStream(stateFile), 4096))) {
      in.readLong();
      in.readUTF();
      in.readInt();
      return in.readInt();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read checkpoint " + stateFile, e);
    }
  }

  private void storeCheckpoint(Attempt a, int epoch, Path dir, List<JsonNode> lines) {
    var job = a.job;
    // The step the checkpoint was taken at is in its state.bin (written last, atomically); its
    // metrics line may not have been read yet, in which case the next poll stores it.
    int checkpointStep = checkpointStep(dir.resolve("state.bin"));
    JsonNode last = null;
    for (var m : lines) {
      if (m.path("step").asInt() == checkpointStep) {
        last = m;
      }
    }
    if (last == null) {
      return; // metrics of the checkpoint's step not read yet
    }
    var adapter =
        putBlob(dir.resolve("adapter.gguf"), checkpointKey(job.id(), epoch, "adapter.gguf"));
    putBlob(dir.resolve("state.bin"), checkpointKey(job.id(), epoch, "state.bin"));
    var metricsUpTo = new StringBuilder();
    for (var m : lines) {
      if (m.path("step").asInt() <= last.path("step").asInt()) {
        metricsUpTo.append(m.toString()).append('\n');
      }
    }
    putBlob(
        metricsUpTo.toString().getBytes(StandardCharsets.UTF_8),
        checkpointKey(job.id(), epoch, "metrics.jsonl"));
    int step = last.path("step").asInt();
    var modelId = modelId(job, clock.millis()) + ":ckpt-step-" + step;
    long now = clock.millis();
    var model =
        new FineTunedModel(
            modelId,
            job.organization(),
            job.model(),
            job.id(),
            OptionalInt.of(step),
            adapter.key(),
            adapter.sha256(),
            adapter.bytes(),
            now);
    var checkpoint =
        new JobCheckpoint(
            Ids.next("ftckpt-"),
            job.id(),
            epoch,
            step,
            last.path("train_loss").asDouble(),
            last.path("train_mean_token_accuracy").asDouble(),
            optional(last.path("valid_loss")),
            optional(last.path("valid_mean_token_accuracy")),
            modelId,
            now);
    if (jobs.addCheckpoint(job.id(), a.attempt, checkpoint, model)) {
      a.storedEpochs.add(epoch);
    }
  }

  private static OptionalDouble optional(JsonNode n) {
    return n.isNumber() ? OptionalDouble.of(n.asDouble()) : OptionalDouble.empty();
  }

  /** A blob written from a file or bytes. */
  private record Blob(String key, String sha256, long bytes) {}

  private Blob putBlob(Path file, String key) {
    try {
      return putBlob(Files.readAllBytes(file), key);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Blob putBlob(byte[] bytes, String key) {
    try (var writer = blobs.create(key)) {
      writer.write(bytes, 0, bytes.length);
      writer.commit();
    }
    return new Blob(
        key, HexFormat.of().formatHex(FileService.sha256().digest(bytes)), bytes.length);
  }

  /**
   * The model id of a job: {@code ft:<base>:<org>:<suffix>:<job>} (current API) or {@code
   * <base>:ft-<org>[:<suffix>]-<yyyy-MM-dd-HH-mm-ss>} (legacy; the time is the job's creation).
   */
  public static String modelId(FineTuningJob job, long nowMillis) {
    if (job.api() == JobApi.LEGACY) {
      return job.model()
          + ":ft-"
          + job.organization()
          + (job.suffix().isEmpty() ? "" : ":" + job.suffix())
          + "-"
          + LEGACY_DATE.format(Instant.ofEpochMilli(job.createdMillis()));
    }
    return "ft:" + job.model() + ":" + job.organization() + ":" + job.suffix() + ":" + job.id();
  }

  private void succeed(Attempt a) {
    var job = a.job;
    JsonNode summary;
    try {
      summary = JSON.readTree(a.output.resolve("summary.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    var h = summary.path("hyperparameters");
    var resolved =
        new TrainingParameters.Resolved(
            h.path("n_epochs").asInt(),
            h.path("batch_size").asInt(),
            h.path("learning_rate_multiplier").asDouble());
    long tokens = summary.path("trained_tokens").asLong();
    var adapter =
        putBlob(
            a.output.resolve("adapter.gguf"),
            "finetuning/" + job.id() + "-attempt-" + a.attempt + "-adapter");
    byte[] csv;
    try {
      csv = Files.readAllBytes(a.output.resolve("results.csv"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    var owner = new Caller(job.organization(), job.createdBy());
    var result = files.storeResult(owner, "step_metrics.csv", FileService.FINE_TUNE_RESULTS, csv);
    long now = clock.millis();
    var model =
        new FineTunedModel(
            modelId(job, now),
            job.organization(),
            job.model(),
            job.id(),
            OptionalInt.empty(),
            adapter.key(),
            adapter.sha256(),
            adapter.bytes(),
            now);
    jobs.progress(job.id(), a.attempt, Optional.of(resolved), now, now);
    boolean done =
        jobs.succeed(
            job.id(),
            a.attempt,
            model,
            tokens,
            result.id(),
            FineTuningService.event(
                "info", "The job has successfully completed; model " + model.id(), now),
            now);
    if (!done) {
      files.deleteResult(owner, result.id());
      blobs.delete(adapter.key());
      return;
    }
    LOG.log(
        System.Logger.Level.INFO,
        "Fine-tuning job {0} succeeded: {1} ({2} trained tokens)",
        job.id(),
        model.id(),
        Long.toString(tokens));
    try {
      billPending();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Billing deferred for " + job.id(), e);
    }
  }

  private void fail(Attempt a, String code, String message, String param) {
    long now = clock.millis();
    var shown = message.length() > 1000 ? message.substring(message.length() - 1000) : message;
    jobs.fail(
        a.job.id(),
        a.attempt,
        new FineTuningJob.JobError(code, shown, Optional.ofNullable(param)),
        FineTuningService.event("error", "Fine-tuning job failed: " + shown, now),
        now);
  }

  private static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (var all = Files.walk(dir)) {
      for (var p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "Could not delete " + dir, e);
    }
  }

  /** Jobs training here now. */
  public int running() {
    return running.size();
  }

  /**
   * Stops: running trainers are stopped and their jobs queued again, so another worker resumes them
   * from their last checkpoints at once.
   */
  @Override
  public void close() {
    closing = true;
    poller.shutdownNow();
    runs.shutdown();
    try {
      runs.awaitTermination(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
