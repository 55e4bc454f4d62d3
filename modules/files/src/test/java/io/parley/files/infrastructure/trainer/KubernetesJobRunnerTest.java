package io.parley.files.infrastructure.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.parley.files.domain.JobRunner;
import io.parley.files.domain.StoreException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class KubernetesJobRunnerTest {

  private static final String NS = "parley";
  private static final Path WORK = Path.of("/var/lib/parley/fine-tuning");

  KubernetesClient client;
  private KubernetesJobRunner runner;

  @BeforeEach
  void setUp() {
    runner = new KubernetesJobRunner(client, settings());
  }

  @AfterEach
  void tearDown() {
    client.batch().v1().jobs().inNamespace(NS).delete();
    client.pods().inNamespace(NS).delete();
  }

  private static KubernetesJobRunner.Settings settings() {
    return new KubernetesJobRunner.Settings(
        NS,
        "registry.example/parley/parley-trainer:0.1.0",
        "IfNotPresent",
        Optional.of("parley-trainer"),
        "parley-fine-tuning-work",
        WORK,
        Optional.of("parley-models"),
        Path.of("/models"),
        Map.of("cpu", "1", "memory", "2Gi"),
        Map.of("memory", "3Gi"),
        600,
        1001,
        1001,
        List.of("-Xmx2g"));
  }

  private static JobRunner.Spec spec(String jobId, int attempt) {
    var output = WORK.resolve(jobId).resolve("attempt-" + attempt);
    return new JobRunner.Spec(
        jobId,
        attempt,
        List.of(
            "--model",
            "/models/stories260K.gguf",
            "--training-file",
            output.resolve("training.jsonl").toString(),
            "--output",
            output.toString()),
        output);
  }

  private Job job(String name) {
    return client.batch().v1().jobs().inNamespace(NS).withName(name).get();
  }

  private void finish(String name, String condition, int succeeded, int failed) {
    client
        .batch()
        .v1()
        .jobs()
        .inNamespace(NS)
        .withName(name)
        .editStatus(
            j ->
                new JobBuilder(j)
                    .withStatus(
                        new JobStatusBuilder()
                            .withSucceeded(succeeded)
                            .withFailed(failed)
                            .withConditions(
                                new JobConditionBuilder()
                                    .withType(condition)
                                    .withStatus("True")
                                    .build())
                            .build())
                    .build());
  }

  private void trainerPod(String jobName, int exitCode) {
    client
        .pods()
        .inNamespace(NS)
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(jobName + "-abcde")
                .withNamespace(NS)
                .addToLabels("batch.kubernetes.io/job-name", jobName)
                .endMetadata()
                .withNewStatus()
                .addNewContainerStatus()
                .withName("trainer")
                .withNewState()
                .withNewTerminated()
                .withExitCode(exitCode)
                .endTerminated()
                .endState()
                .endContainerStatus()
                .endStatus()
                .build())
        .create();
  }

  @Test
  void start_createsOneJobPerAttempt_withTheTrainerCommandAndALockedDownPod() {
    var spec = spec("ftjob-AbCdEf0123456789", 2);

    var execution = runner.start(spec);

    var name = KubernetesJobRunner.jobName(spec.jobId(), 2);
    assertThat(execution.reference()).isEqualTo("kubernetes:" + NS + "/" + name);
    assertThat(name)
        .startsWith("parley-ftjob-abcdef0123456789-")
        .endsWith("-a2")
        .hasSizeLessThan(64);
    var job = job(name);
    assertThat(job).isNotNull();
    assertThat(job.getMetadata().getLabels())
        .containsEntry("parley.io/fine-tuning-job", "ftjob-AbCdEf0123456789")
        .containsEntry("parley.io/attempt", "2")
        .containsEntry("app.kubernetes.io/component", "trainer");
    assertThat(job.getSpec().getBackoffLimit()).isZero();
    assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(600);
    var pod = job.getSpec().getTemplate().getSpec();
    assertThat(pod.getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getServiceAccountName()).isEqualTo("parley-trainer");
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(1001L);
    assertThat(pod.getSecurityContext().getFsGroup()).isEqualTo(1001L);
    var container = pod.getContainers().getFirst();
    assertThat(container.getImage()).isEqualTo("registry.example/parley/parley-trainer:0.1.0");
    assertThat(container.getCommand())
        .startsWith("/opt/java/bin/java")
        .contains("-Dai.djl.offline=true", "-Dparley.job=ftjob-AbCdEf0123456789", "-Xmx2g")
        .containsSubsequence("-jar", "/opt/parley/trainer/parley-trainer.jar", "--model")
        .endsWith(spec.arguments().toArray(String[]::new));
    assertThat(container.getWorkingDir()).isEqualTo(spec.output().toString());
    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(container.getResources().getRequests())
        .containsEntry("cpu", new Quantity("1"))
        .containsEntry("memory", new Quantity("2Gi"));
    assertThat(container.getResources().getLimits()).containsEntry("memory", new Quantity("3Gi"));
    assertThat(container.getVolumeMounts())
        .anySatisfy(
            m -> {
              assertThat(m.getMountPath()).isEqualTo(WORK.toString());
              assertThat(m.getReadOnly()).isFalse();
            })
        .anySatisfy(
            m -> {
              assertThat(m.getMountPath()).isEqualTo("/models");
              assertThat(m.getReadOnly()).isTrue();
            })
        .anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
    assertThat(pod.getVolumes())
        .anySatisfy(
            v ->
                assertThat(v.getPersistentVolumeClaim().getClaimName())
                    .isEqualTo("parley-fine-tuning-work"));
    assertThat(execution.await(Duration.ofMillis(200))).isEmpty();
  }

  @Test
  void await_jobSucceeded_returnsZero() {
    var spec = spec("ftjob-ok", 1);
    var execution = runner.start(spec);

    finish(KubernetesJobRunner.jobName("ftjob-ok", 1), "Complete", 1, 0);

    assertThat(execution.await(Duration.ofSeconds(10))).isEqualTo(OptionalInt.of(0));
  }

  @Test
  void await_jobFailed_returnsTheTrainersExitStatus() {
    var execution = runner.start(spec("ftjob-bad", 1));
    var name = KubernetesJobRunner.jobName("ftjob-bad", 1);
    trainerPod(name, 2);

    finish(name, "Failed", 0, 1);

    assertThat(execution.await(Duration.ofSeconds(10))).isEqualTo(OptionalInt.of(2));
  }

  @Test
  void await_jobFailedWithoutItsPod_isReportedAsLost() {
    var execution = runner.start(spec("ftjob-evicted", 1));

    finish(KubernetesJobRunner.jobName("ftjob-evicted", 1), "Failed", 0, 1);

    assertThat(execution.await(Duration.ofSeconds(10)))
        .isEqualTo(OptionalInt.of(KubernetesJobRunner.EXIT_LOST));
  }

  @Test
  void await_jobDeletedBySomeoneElse_isReportedAsLost() {
    var execution = runner.start(spec("ftjob-deleted", 1));

    client
        .batch()
        .v1()
        .jobs()
        .inNamespace(NS)
        .withName(KubernetesJobRunner.jobName("ftjob-deleted", 1))
        .delete();

    assertThat(execution.await(Duration.ofSeconds(10)))
        .isEqualTo(OptionalInt.of(KubernetesJobRunner.EXIT_LOST));
  }

  @Test
  void stop_deletesTheJob_andEndsAsStopped() {
    var execution = runner.start(spec("ftjob-cancelled", 3));
    var name = KubernetesJobRunner.jobName("ftjob-cancelled", 3);
    assertThat(job(name)).isNotNull();

    execution.stop();

    assertThat(execution.await(Duration.ofSeconds(10)))
        .isEqualTo(OptionalInt.of(KubernetesJobRunner.EXIT_STOPPED));
    assertThat(job(name)).isNull();
  }

  @Test
  void start_afterARestart_adoptsTheAttemptsJobInsteadOfCreatingASecond() {
    var spec = spec("ftjob-restarted", 4);
    var before = runner.start(spec);

    var restarted = new KubernetesJobRunner(client, settings());
    var after = restarted.start(spec);

    assertThat(after.reference()).isEqualTo(before.reference());
    assertThat(
            client
                .batch()
                .v1()
                .jobs()
                .inNamespace(NS)
                .withLabel("parley.io/fine-tuning-job", "ftjob-restarted")
                .list()
                .getItems())
        .hasSize(1);
    finish(KubernetesJobRunner.jobName("ftjob-restarted", 4), "Complete", 1, 0);
    assertThat(after.await(Duration.ofSeconds(10))).isEqualTo(OptionalInt.of(0));
  }

  @Test
  void start_nameTakenByAnotherJob_isRefused() {
    var name = KubernetesJobRunner.jobName("ftjob-x", 1);
    client
        .batch()
        .v1()
        .jobs()
        .inNamespace(NS)
        .resource(
            new JobBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NS)
                .addToLabels("parley.io/fine-tuning-job", "ftjob-y")
                .endMetadata()
                .build())
        .create();

    assertThatThrownBy(() -> runner.start(spec("ftjob-x", 1)))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("not the trainer of ftjob-x");
  }

  @Test
  void stopLeftover_deletesTheEarlierAttemptsJob_only() {
    var earlier = runner.start(spec("ftjob-left", 1));
    runner.start(spec("ftjob-other", 1));

    runner.stopLeftover(earlier.reference(), "ftjob-left");
    runner.stopLeftover(
        "kubernetes:" + NS + "/" + KubernetesJobRunner.jobName("ftjob-other", 1), "ftjob-left");
    runner.stopLeftover("local:somehost:1234", "ftjob-left");

    assertThat(job(KubernetesJobRunner.jobName("ftjob-left", 1))).isNull();
    assertThat(job(KubernetesJobRunner.jobName("ftjob-other", 1))).isNotNull();
  }

  @Test
  void settings_withoutImageOrSharedWorkVolume_areRefused() {
    var s = settings();
    assertThatThrownBy(
            () ->
                new KubernetesJobRunner.Settings(
                    NS,
                    " ",
                    "IfNotPresent",
                    Optional.empty(),
                    "claim",
                    WORK,
                    Optional.empty(),
                    s.modelsPath(),
                    Map.of(),
                    Map.of(),
                    60,
                    1001,
                    1001,
                    List.of()))
        .hasMessageContaining("parley.finetuning.kubernetes.image");
    assertThatThrownBy(
            () ->
                new KubernetesJobRunner.Settings(
                    NS,
                    s.image(),
                    "IfNotPresent",
                    Optional.empty(),
                    "",
                    WORK,
                    Optional.empty(),
                    s.modelsPath(),
                    Map.of(),
                    Map.of(),
                    60,
                    1001,
                    1001,
                    List.of()))
        .hasMessageContaining("work-volume-claim");
  }
}
