package io.parley.files.infrastructure.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.files.domain.FileInUseException;
import io.parley.files.domain.FileStatus;
import io.parley.files.domain.FineTunedModel;
import io.parley.files.domain.FineTuningJob;
import io.parley.files.domain.JobApi;
import io.parley.files.domain.JobCheckpoint;
import io.parley.files.domain.JobEvent;
import io.parley.files.domain.JobRepository;
import io.parley.files.domain.JobStateException;
import io.parley.files.domain.JobStatus;
import io.parley.files.domain.StoredFile;
import io.parley.files.domain.TrainingParameters;
import io.parley.files.testsupport.TestDatabases;
import io.parley.persistence.Database;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Jobs, leases and fencing on PostgreSQL, with several pools standing for several replicas. */
class JdbcJobRepositoryTest {

  static final long LEASE = 10_000;

  String schema;
  Database database;
  JdbcJobRepository jobs;
  JdbcFileRepository files;
  int counter;

  @BeforeEach
  void start() {
    schema = TestDatabases.newSchema();
    database = TestDatabases.postgres(schema, 8);
    jobs = new JdbcJobRepository(database.jdbc());
    files = new JdbcFileRepository(database.jdbc());
  }

  @AfterEach
  void stop() {
    database.close();
    TestDatabases.dropSchema(schema);
  }

  String file(String organization) {
    var id = "file-test" + (++counter);
    files.insert(
        new StoredFile(
            id,
            organization,
            "user",
            "train.jsonl",
            "fine-tune",
            10,
            "0".repeat(64),
            FileStatus.PROCESSED,
            Optional.empty(),
            1),
        0,
        Optional.empty(),
        () -> {});
    return id;
  }

  FineTuningJob queued(String organization, long createdMillis) {
    var id = "ftjob-test" + (++counter);
    var job =
        new FineTuningJob(
            id,
            organization,
            "user",
            JobApi.FINE_TUNING,
            "stories260k",
            file(organization),
            Optional.empty(),
            TrainingParameters.auto(),
            Optional.empty(),
            "",
            42,
            Map.of("team", "a"),
            JobStatus.QUEUED,
            Optional.empty(),
            OptionalLong.empty(),
            Optional.empty(),
            Optional.empty(),
            createdMillis,
            createdMillis,
            OptionalLong.empty(),
            OptionalLong.empty(),
            0);
    jobs.insert(job, event("created", createdMillis));
    return job;
  }

  static JobEvent event(String message, long at) {
    return new JobEvent(
        "ftevent-" + message + at + System.nanoTime(),
        at,
        "info",
        "message",
        message,
        Optional.empty());
  }

  FineTunedModel model(FineTuningJob job, String id, OptionalInt step) {
    return new FineTunedModel(
        id, job.organization(), job.model(), job.id(), step, "k/" + id, "a".repeat(64), 5, 100);
  }

  @Test
  void claim_takesTheOldestQueuedJob_withANewAttempt_andLeasesIt() {
    var first = queued("org-a", 1);
    queued("org-b", 2);

    var claim = jobs.claim("w1", 1000, LEASE, 1).orElseThrow();

    assertThat(claim.job().id()).isEqualTo(first.id());
    assertThat(claim.job().status()).isEqualTo(JobStatus.RUNNING);
    assertThat(claim.job().attempt()).isEqualTo(1);
    assertThat(jobs.heartbeat(first.id(), 1, 1000 + LEASE)).isTrue();
  }

  @Test
  void claim_skipsAnOrganizationAtItsLimit_andTakesAnother() {
    queued("org-a", 1);
    queued("org-a", 2);
    var other = queued("org-b", 3);

    jobs.claim("w1", 1000, LEASE, 1).orElseThrow();
    var second = jobs.claim("w2", 1000, LEASE, 1).orElseThrow();

    assertThat(second.job().id()).isEqualTo(other.id());
    assertThat(jobs.claim("w3", 1000, LEASE, 1)).isEmpty();
  }

  @Test
  void expiredLease_isTakenOver_andTheOldAttemptIsFencedOut() {
    var job = queued("org-a", 1);
    jobs.claim("w1", 1000, LEASE, 1).orElseThrow();
    jobs.runner(job.id(), 1, "local:host:123");

    assertThat(jobs.claim("w2", 1000 + LEASE - 1, LEASE, 1)).isEmpty();
    var takeover = jobs.claim("w2", 1000 + LEASE + 1, LEASE, 1).orElseThrow();

    assertThat(takeover.job().attempt()).isEqualTo(2);
    assertThat(takeover.previousRunner()).contains("local:host:123");
    // every write of attempt 1 now changes nothing
    assertThat(jobs.heartbeat(job.id(), 1, 99_999)).isFalse();
    assertThat(
            jobs.addEvents(
                job.id(),
                1,
                List.of(new JobRepository.NewEvent(event("stale", 5), Optional.of(1)))))
        .isFalse();
    assertThat(
            jobs.succeed(
                job.id(),
                1,
                model(job, "ft:stale", OptionalInt.empty()),
                10,
                "file-x",
                event("done", 6),
                6))
        .isFalse();
    assertThat(jobs.models("org-a", true)).isEmpty();
    // attempt 2 succeeds once
    assertThat(
            jobs.succeed(
                job.id(),
                2,
                model(job, "ft:real", OptionalInt.empty()),
                10,
                "file-x",
                event("done", 7),
                7))
        .isTrue();
    assertThat(jobs.models("org-a", false))
        .extracting(FineTunedModel::id)
        .containsExactly("ft:real");
    assertThat(jobs.find("org-a", job.id()).orElseThrow().status()).isEqualTo(JobStatus.SUCCEEDED);
    assertThat(jobs.unbilled(10)).extracting(FineTuningJob::id).containsExactly(job.id());
    jobs.billed(job.id());
    assertThat(jobs.unbilled(10)).isEmpty();
  }

  @Test
  void manyWorkersClaimingAtOnce_eachJobIsClaimedExactlyOnce() throws Exception {
    var pools = new ArrayList<Database>();
    for (int i = 0; i < 4; i++) {
      pools.add(TestDatabases.postgres(schema, 4));
    }
    try {
      var ids = new ArrayList<String>();
      for (int i = 0; i < 24; i++) {
        ids.add(queued("org-" + i, i + 1).id());
      }
      var claimed = new ConcurrentHashMap<String, String>();
      var duplicates = new AtomicInteger();
      var go = new CountDownLatch(1);
      var pool = Executors.newFixedThreadPool(8);
      for (int w = 0; w < 8; w++) {
        var repository = new JdbcJobRepository(pools.get(w % pools.size()).jdbc());
        var name = "w" + w;
        pool.execute(
            () -> {
              try {
                go.await();
                while (true) {
                  var c = repository.claim(name, 1000, LEASE, 1);
                  if (c.isEmpty()) {
                    return;
                  }
                  if (claimed.putIfAbsent(c.get().job().id(), name) != null) {
                    duplicates.incrementAndGet();
                  }
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
      }
      go.countDown();
      pool.shutdown();
      assertThat(pool.awaitTermination(60, TimeUnit.SECONDS)).isTrue();

      assertThat(duplicates).hasValue(0);
      assertThat(claimed.keySet()).containsExactlyInAnyOrderElementsOf(ids);
      for (var id : ids) {
        assertThat(jobs.find(orgOf(id), id).orElseThrow().attempt()).isEqualTo(1);
      }
    } finally {
      pools.forEach(Database::close);
    }
  }

  String orgOf(String jobId) {
    return database
        .jdbc()
        .autoCommit(
            c -> {
              try (var s = c.prepareStatement("SELECT organization FROM ft_jobs WHERE id = ?")) {
                s.setString(1, jobId);
                try (var rs = s.executeQuery()) {
                  rs.next();
                  return rs.getString(1);
                }
              }
            });
  }

  @Test
  void anotherOrganizationsJob_isNotFound() {
    var job = queued("org-a", 1);

    assertThat(jobs.find("org-b", job.id())).isEmpty();
    assertThat(jobs.list("org-b", Optional.empty(), Map.of(), 10, Optional.empty())).isEmpty();
    assertThat(
            jobs.transition(
                "org-b",
                job.id(),
                List.of(JobStatus.QUEUED),
                JobStatus.CANCELLED,
                event("x", 2),
                2))
        .isEmpty();
    assertThat(jobs.find("org-a", job.id()).orElseThrow().status()).isEqualTo(JobStatus.QUEUED);
  }

  @Test
  void cancellingARunningJob_fencesItsWorker_releasesItsFiles_andCannotBeRepeated() {
    var job = queued("org-a", 1);
    assertThatThrownBy(() -> files.delete("org-a", job.trainingFile()))
        .isInstanceOf(FileInUseException.class);
    jobs.claim("w1", 1000, LEASE, 1).orElseThrow();

    var cancelled =
        jobs.transition(
                "org-a",
                job.id(),
                List.of(JobStatus.QUEUED, JobStatus.RUNNING),
                JobStatus.CANCELLED,
                event("cancelled", 2),
                2)
            .orElseThrow();

    assertThat(cancelled.status()).isEqualTo(JobStatus.CANCELLED);
    assertThat(cancelled.finishedMillis()).hasValue(2);
    assertThat(jobs.heartbeat(job.id(), 1, 5000)).isFalse();
    assertThat(jobs.claim("w2", 100_000, LEASE, 1)).isEmpty();
    assertThat(files.delete("org-a", job.trainingFile())).isPresent();
    assertThatThrownBy(
            () ->
                jobs.transition(
                    "org-a",
                    job.id(),
                    List.of(JobStatus.QUEUED, JobStatus.RUNNING),
                    JobStatus.CANCELLED,
                    event("again", 3),
                    3))
        .isInstanceOf(JobStateException.class);
  }

  @Test
  void pausedJob_isNotClaimed_untilResumed_thenRunsAsANewAttempt() {
    var job = queued("org-a", 1);
    jobs.claim("w1", 1000, LEASE, 1).orElseThrow();
    jobs.transition(
        "org-a", job.id(), List.of(JobStatus.RUNNING), JobStatus.PAUSED, event("p", 2), 2);

    assertThat(jobs.claim("w2", 100_000, LEASE, 1)).isEmpty();
    jobs.transition(
        "org-a", job.id(), List.of(JobStatus.PAUSED), JobStatus.QUEUED, event("r", 3), 3);
    var again = jobs.claim("w2", 100_000, LEASE, 1).orElseThrow();

    assertThat(again.job().attempt()).isEqualTo(2);
    assertThat(jobs.heartbeat(job.id(), 1, 200_000)).isFalse();
  }

  @Test
  void eventsAndCheckpoints_pageInOrder_andAMetricsStepIsStoredOnce() {
    var job = queued("org-a", 1);
    jobs.claim("w1", 1000, LEASE, 1).orElseThrow();
    var metrics = new ArrayList<JobRepository.NewEvent>();
    for (int step = 1; step <= 5; step++) {
      metrics.add(
          new JobRepository.NewEvent(
              new JobEvent(
                  "ftevent-s" + step,
                  10 + step,
                  "info",
                  "metrics",
                  "Step " + step,
                  Optional.of("{\"step\":" + step + "}")),
              Optional.of(step)));
    }
    assertThat(jobs.addEvents(job.id(), 1, metrics)).isTrue();
    assertThat(jobs.lastMetricsStep(job.id())).isEqualTo(5);
    assertThatThrownBy(() -> jobs.addEvents(job.id(), 1, List.of(metrics.get(4))))
        .isInstanceOf(RuntimeException.class);

    var newest = jobs.events(job.id(), 3, false, Optional.empty());
    assertThat(newest)
        .extracting(JobEvent::id)
        .containsExactly("ftevent-s5", "ftevent-s4", "ftevent-s3");
    var next = jobs.events(job.id(), 3, false, Optional.of("ftevent-s3"));
    assertThat(next).extracting(JobEvent::message).containsExactly("Step 2", "Step 1", "created");
    var oldest = jobs.events(job.id(), 2, true, Optional.empty());
    assertThat(oldest).extracting(JobEvent::message).containsExactly("created", "Step 1");

    for (int epoch = 1; epoch <= 2; epoch++) {
      var id = "ft:x:org-a::" + job.id() + ":ckpt-step-" + epoch;
      assertThat(
              jobs.addCheckpoint(
                  job.id(),
                  1,
                  new JobCheckpoint(
                      "ftckpt-" + epoch,
                      job.id(),
                      epoch,
                      epoch * 2,
                      1.5,
                      0.5,
                      OptionalDouble.empty(),
                      OptionalDouble.empty(),
                      id,
                      20 + epoch),
                  model(job, id, OptionalInt.of(epoch * 2))))
          .isTrue();
    }
    assertThat(jobs.checkpointEpochs(job.id())).containsExactly(2, 1);
    assertThat(jobs.checkpoints(job.id(), 1, Optional.empty()))
        .extracting(JobCheckpoint::id)
        .containsExactly("ftckpt-2");
    assertThat(jobs.checkpoints(job.id(), 5, Optional.of("ftckpt-2")))
        .extracting(JobCheckpoint::id)
        .containsExactly("ftckpt-1");
    assertThat(jobs.models("org-a", true)).hasSize(2);
    assertThat(jobs.models("org-a", false)).isEmpty();
    assertThat(jobs.models("org-b", true)).isEmpty();
  }

  @Test
  void list_filtersByApiAndMetadata_newestFirst_withACursor() {
    var a = queued("org-a", 1);
    var b = queued("org-a", 2);
    var c = queued("org-a", 3);

    assertThat(jobs.list("org-a", Optional.empty(), Map.of(), 2, Optional.empty()))
        .extracting(FineTuningJob::id)
        .containsExactly(c.id(), b.id());
    assertThat(jobs.list("org-a", Optional.empty(), Map.of(), 5, Optional.of(b)))
        .extracting(FineTuningJob::id)
        .containsExactly(a.id());
    assertThat(jobs.list("org-a", Optional.of(JobApi.LEGACY), Map.of(), 5, Optional.empty()))
        .isEmpty();
    assertThat(jobs.list("org-a", Optional.empty(), Map.of("team", "b"), 5, Optional.empty()))
        .isEmpty();
    assertThat(jobs.list("org-a", Optional.empty(), Map.of("team", "a"), 5, Optional.empty()))
        .hasSize(3);
  }
}
