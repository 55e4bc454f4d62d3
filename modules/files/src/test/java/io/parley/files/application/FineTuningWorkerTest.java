package io.parley.files.application;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.files.domain.Billing;
import io.parley.files.domain.Caller;
import io.parley.files.domain.FineTunedModel;
import io.parley.files.domain.FineTuningJob;
import io.parley.files.domain.JobApi;
import io.parley.files.domain.JobCheckpoint;
import io.parley.files.domain.JobEvent;
import io.parley.files.domain.JobRunner;
import io.parley.files.domain.JobStatus;
import io.parley.files.domain.TrainingParameters;
import io.parley.files.infrastructure.blob.DirectoryBlobStore;
import io.parley.files.infrastructure.jdbc.JdbcFileRepository;
import io.parley.files.infrastructure.jdbc.JdbcJobRepository;
import io.parley.files.infrastructure.trainer.LocalProcessRunner;
import io.parley.files.testsupport.TestDatabases;
import io.parley.persistence.Database;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker with the real {@code parley-trainer} as a child process (LoRA on stories260K), on
 * PostgreSQL and a directory store: a job trains to a registered model with its events, checkpoints
 * and result file, billed once; a trainer killed with SIGKILL mid-training is resumed from its
 * checkpoint in a new attempt and the job succeeds once, also when that happens five times.
 */
class FineTuningWorkerTest {

  static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
  static final Path MODEL = ROOT.resolve("../shared/models/stories260K.gguf").normalize();
  static final Path JAR = ROOT.resolve("modules/trainer/target/parley-trainer.jar");
  static final Caller ACME = new Caller("org-acme", "user-1");

  @TempDir Path temp;
  String schema;
  Database database;
  FileService files;
  FineTuningService service;
  FineTuningWorker worker;
  JdbcJobRepository jobs;
  DirectoryBlobStore blobs;
  FineTuningSettings settings;
  Billing billing;
  final List<String> billed = new CopyOnWriteArrayList<>();

  /** "worker job attempt" for every trainer a worker started. */
  final List<String> started = new CopyOnWriteArrayList<>();

  @BeforeEach
  void start() {
    assertThat(MODEL).exists();
    assertThat(JAR).as("built by the trainer module's package phase").exists();
    schema = TestDatabases.newSchema();
    database = TestDatabases.postgres(schema, 6);
    blobs = DirectoryBlobStore.open(temp.resolve("blobs"));
    files =
        new FileService(
            new JdbcFileRepository(database.jdbc()),
            blobs,
            new FileLimits(1 << 20, 0, 4096, 10, 1000, 100, Duration.ofHours(1)),
            Clock.systemUTC());
    jobs = new JdbcJobRepository(database.jdbc());
    settings =
        new FineTuningSettings(
            Map.of("stories260k", MODEL),
            1,
            1,
            Duration.ofSeconds(30),
            Duration.ofMillis(300),
            Duration.ofMillis(300),
            6, // five crashes and the attempt that succeeds
            temp.resolve("work"),
            1);
    service = new FineTuningService(jobs, files, blobs, settings, Clock.systemUTC());
    billing =
        new Billing() {
          @Override
          public boolean enabled() {
            return true;
          }

          @Override
          public void bill(String requestId, String organization, String model, long tokens) {
            billed.add(requestId + " " + organization + " " + model + " " + tokens);
          }
        };
    worker = worker("test-worker", settings);
    worker.start();
  }

  /** A worker (a replica of the service) on the shared database and blob store. */
  FineTuningWorker worker(String name, FineTuningSettings settings) {
    var java = Path.of(System.getProperty("java.home"), "bin", "java");
    var local =
        new LocalProcessRunner(
            java,
            JAR,
            List.of("-Xmx512m"),
            Path.of(System.getProperty("user.home"), ".cache/parley/djl"));
    JobRunner recorded =
        new JobRunner() {
          @Override
          public Execution start(Spec spec) {
            started.add(name + " " + spec.jobId() + " " + spec.attempt());
            return local.start(spec);
          }

          @Override
          public void stopLeftover(String runnerRef, String jobId) {
            local.stopLeftover(runnerRef, jobId);
          }
        };
    return new FineTuningWorker(
        jobs, files, blobs, recorded, billing, settings, Clock.systemUTC(), name);
  }

  @Test
  void twoReplicasOnOneDatabase_runEachJobOnce() throws Exception {
    // A second replica: its own work directory, the same database and blob store.
    var second =
        worker(
            "test-worker-2",
            new FineTuningSettings(
                settings.baseModels(),
                settings.maxConcurrentJobs(),
                2, // may run one beside the first replica's, so that both claim at once
                settings.lease(),
                settings.heartbeat(),
                settings.poll(),
                settings.maxAttempts(),
                temp.resolve("work-2"),
                settings.trainerThreads()));
    second.start();
    try {
      var created = new java.util.ArrayList<FineTuningJob>();
      for (int i = 0; i < 4; i++) {
        created.add(create(JobApi.FINE_TUNING, trainingFile(), 1, 2, "r" + i));
      }
      for (var job : created) {
        var done = await(job.id());
        assertThat(done.status()).as(job.id()).isEqualTo(JobStatus.SUCCEEDED);
        assertThat(done.attempt()).as("claimed once").isEqualTo(1);
        assertThat(events(job.id()))
            .extracting(JobEvent::message)
            .filteredOn(m -> m.contains("successfully completed"))
            .hasSize(1);
      }
      // every job's trainer was started once, by one replica (which replica takes which job is
      // up to their polls; printed, not asserted)
      System.out.println("Two replicas, trainers started: " + started);
      assertThat(started).hasSize(4);
      assertThat(started.stream().map(s -> s.split(" ")[1]).distinct()).hasSize(4);
      assertThat(service.models(ACME)).hasSize(4);
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (billed.stream().distinct().count() < 4 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      // each job billed under its own request id; both replicas may send the same one (the ledger
      // keeps one row per request id)
      assertThat(billed.stream().distinct())
          .hasSize(4)
          .allMatch(b -> b.contains(":training org-acme ft:stories260k:org-acme:r"));
    } finally {
      second.close();
    }
  }

  @AfterEach
  void stop() {
    worker.close();
    database.close();
    TestDatabases.dropSchema(schema);
  }

  String trainingFile() {
    var lines = new StringBuilder();
    for (int i = 0; i < 10; i++) {
      lines
          .append("{\"messages\":[{\"role\":\"user\",\"content\":\"Where is the garden ")
          .append(i)
          .append("?\"},{\"role\":\"assistant\",\"content\":\"Behind the red door.\"}]}\n");
    }
    var incoming = files.receive(ACME, "train.jsonl", Optional.of("fine-tune"));
    var bytes = lines.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    incoming.write(bytes, 0, bytes.length);
    return incoming.finish().id();
  }

  FineTuningJob create(JobApi api, String file, int epochs, int batch, String suffix) {
    return service.create(
        ACME,
        new FineTuningService.NewJob(
            api,
            "stories260k",
            file,
            Optional.empty(),
            new TrainingParameters(
                OptionalInt.of(epochs),
                OptionalInt.of(batch),
                OptionalDouble.empty(),
                OptionalDouble.empty()),
            suffix,
            OptionalLong.of(7),
            Map.of(),
            ""));
  }

  FineTuningJob await(String id) throws InterruptedException {
    return await(id, Duration.ofMinutes(5));
  }

  FineTuningJob await(String id, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      var job = service.get(ACME, id);
      if (job.status().terminal()) {
        return job;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("job " + id + " did not end");
  }

  List<JobEvent> events(String id) {
    return service.events(ACME, id, 1000, true, Optional.empty()).items();
  }

  @Test
  void job_trainsToARegisteredModel_withEventsCheckpointsAndAResultFile_billedOnce()
      throws Exception {
    var job = create(JobApi.FINE_TUNING, trainingFile(), 2, 2, "garden");

    var done = await(job.id());

    assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
    var model = "ft:stories260k:org-acme:garden:" + job.id();
    assertThat(done.fineTunedModel()).contains(model);
    assertThat(done.trainedTokens().orElseThrow()).isPositive();
    assertThat(done.resolved().orElseThrow().epochs()).isEqualTo(2);
    var result = files.get(ACME, done.resultFile().orElseThrow());
    assertThat(result.purpose()).isEqualTo("fine-tune-results");
    assertThat(events(job.id()).stream().filter(e -> e.type().equals("metrics"))).hasSize(10);
    assertThat(service.checkpoints(ACME, job.id(), 10, Optional.empty()).items())
        .extracting(JobCheckpoint::fineTunedModel)
        .containsExactly(model + ":ckpt-step-10", model + ":ckpt-step-5");
    var registered = service.model(ACME, model);
    assertThat(registered.adapterBytes()).isPositive();
    try (var adapter = service.adapter(ACME, model).stream()) {
      assertThat(adapter.readAllBytes()).hasSize((int) registered.adapterBytes());
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (billed.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertThat(billed)
        .containsExactly(
            job.id() + ":training org-acme " + model + " " + done.trainedTokens().getAsLong());
  }

  @Test
  void trainerKilledMidTraining_resumesFromItsCheckpoint_andTheJobSucceedsOnce() throws Exception {
    var job = create(JobApi.LEGACY, trainingFile(), 6, 1, "");
    while (service.checkpoints(ACME, job.id(), 10, Optional.empty()).items().isEmpty()) {
      Thread.sleep(100);
    }
    var trainer =
        ProcessHandle.allProcesses()
            .filter(
                p ->
                    p.info()
                        .arguments()
                        .map(a -> List.of(a).contains("-Dparley.job=" + job.id()))
                        .orElse(false))
            .findFirst()
            .orElseThrow();
    trainer.destroyForcibly();

    var done = await(job.id());

    assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(2);
    assertThat(done.fineTunedModel().orElseThrow())
        .matches("stories260k:ft-org-acme-\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}");
    var events = events(job.id());
    assertThat(events.stream().filter(e -> e.type().equals("metrics"))).hasSize(60);
    assertThat(events)
        .extracting(JobEvent::message)
        .anyMatch(m -> m.contains("The trainer stopped unexpectedly (exit status 137)"))
        .anyMatch(m -> m.startsWith("Fine-tuning job resumed from the checkpoint of epoch"))
        .filteredOn(m -> m.contains("successfully completed"))
        .hasSize(1);
    assertThat(service.models(ACME))
        .extracting(FineTunedModel::id)
        .containsExactly(done.fineTunedModel().get());
    assertThat(service.checkpoints(ACME, job.id(), 10, Optional.empty()).items()).hasSize(6);
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (billed.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    Thread.sleep(1000);
    assertThat(billed).hasSize(1);
  }

  /** The checkpoint epochs the job's attempts resumed from, in order. */
  List<Integer> resumedEpochs(String jobId) {
    var prefix = "Fine-tuning job resumed from the checkpoint of epoch ";
    return events(jobId).stream()
        .map(JobEvent::message)
        .filter(m -> m.startsWith(prefix))
        .map(m -> Integer.parseInt(m.substring(prefix.length())))
        .toList();
  }

  /** The running trainer of a job (its command line names the job), other than {@code not}. */
  static Optional<ProcessHandle> trainerOf(String jobId, long not) {
    return ProcessHandle.allProcesses()
        .filter(ProcessHandle::isAlive)
        .filter(p -> p.pid() != not)
        .filter(
            p ->
                p.info()
                    .arguments()
                    .map(a -> List.of(a).contains("-Dparley.job=" + jobId))
                    .orElse(false))
        .findFirst();
  }

  @Test
  void trainerKilledFiveTimes_resumesFromItsLastCheckpointEachTime_andSucceedsExactlyOnce()
      throws Exception {
    // 30 epochs of 10 steps: enough, even on a fast idle machine, for five attempts to each store
    // a checkpoint of their own and be killed before the job is done
    int epochs = 30;
    var job = create(JobApi.FINE_TUNING, trainingFile(), epochs, 1, "crash");
    long killed = -1;
    var resumedFrom = new java.util.ArrayList<Integer>();
    for (int kill = 1; kill <= 5; kill++) {
      // each attempt is killed once it has stored a checkpoint of its own: one newer than the
      // checkpoint it resumed from
      long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
      Optional<ProcessHandle> trainer = Optional.empty();
      while (System.nanoTime() < deadline) {
        var checkpoints = service.checkpoints(ACME, job.id(), 1, Optional.empty()).items();
        int newest = checkpoints.isEmpty() ? 0 : checkpoints.getFirst().epoch();
        var resumes = resumedEpochs(job.id());
        boolean progressed =
            kill == 1 ? newest >= 1 : resumes.size() == kill - 1 && newest > resumes.getLast();
        trainer = progressed ? trainerOf(job.id(), killed) : Optional.empty();
        if (trainer.isPresent()) {
          break;
        }
        assertThat(service.get(ACME, job.id()).status().terminal())
            .as("the job ended before kill %d", kill)
            .isFalse();
        Thread.sleep(50);
      }
      var victim = trainer.orElseThrow(() -> new AssertionError("no trainer to kill"));
      resumedFrom.add(
          service.checkpoints(ACME, job.id(), 1, Optional.empty()).items().getFirst().epoch());
      assertThat(victim.destroyForcibly()).isTrue(); // SIGKILL
      victim.onExit().get(30, java.util.concurrent.TimeUnit.SECONDS);
      killed = victim.pid();
    }

    var done = await(job.id(), Duration.ofMinutes(10));

    assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
    assertThat(done.attempt()).isEqualTo(6);
    var model = "ft:stories260k:org-acme:crash:" + job.id();
    assertThat(done.fineTunedModel()).contains(model);
    var events = events(job.id());
    assertThat(events)
        .extracting(JobEvent::message)
        .filteredOn(m -> m.contains("The trainer stopped unexpectedly (exit status 137)"))
        .hasSize(5);
    // every new attempt resumed from the newest checkpoint, at least the one stored when its
    // predecessor was killed (that one may still have stored a later one as it died)
    var resumed = resumedEpochs(job.id());
    assertThat(resumed).hasSize(5).isSorted().doesNotHaveDuplicates();
    for (int i = 0; i < 5; i++) {
      assertThat(resumed.get(i)).isGreaterThanOrEqualTo(resumedFrom.get(i));
    }
    assertThat(events)
        .extracting(JobEvent::message)
        .filteredOn(m -> m.contains("successfully completed"))
        .hasSize(1);
    // one metrics event per step, none repeated by the attempts that redid steps
    assertThat(events)
        .filteredOn(e -> e.type().equals("metrics"))
        .extracting(e -> e.data().orElseThrow())
        .hasSize(epochs * 10)
        .doesNotHaveDuplicates();
    assertThat(service.checkpoints(ACME, job.id(), 100, Optional.empty()).items())
        .extracting(JobCheckpoint::epoch)
        .doesNotHaveDuplicates()
        .hasSize(epochs);
    assertThat(service.models(ACME)).extracting(FineTunedModel::id).containsExactly(model);
    assertThat(
            files.list(ACME, Optional.of("fine-tune-results"), 100, true, Optional.empty()).files())
        .extracting(f -> f.id())
        .containsExactly(done.resultFile().orElseThrow());
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (billed.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    Thread.sleep(1000);
    assertThat(billed)
        .containsExactly(
            job.id() + ":training org-acme " + model + " " + done.trainedTokens().getAsLong());
  }
}
