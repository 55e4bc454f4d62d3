package io.parley.files.infrastructure.trainer;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.EmptyDirVolumeSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.parley.files.domain.JobRunner;
import io.parley.files.domain.StoreException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs {@code parley-trainer} as a Kubernetes {@code batch/v1} Job, one per attempt of a job.
 *
 * <p>The trainer reads its inputs and writes its output (metrics, checkpoints, the adapter) in the
 * attempt's directory under the work directory, exactly as with the local runner: the Job mounts
 * the files service's work volume (a ReadWriteMany claim, {@code work-volume-claim}) at the same
 * path, and the base models' volume read-only at the path the base models are configured under. So
 * the worker reads the trainer's output the same way whichever runner trains. The Job runs {@code
 * backoffLimit: 0} (a failed attempt is resumed from its last checkpoint by the worker, not
 * restarted by Kubernetes), as a non-root user on a read-only root filesystem with {@code /tmp} an
 * emptyDir (PyTorch's natives are unpacked there), and is removed {@code ttlSecondsAfterFinished}
 * after it ends.
 *
 * <p>The Job is named after the job and the attempt; starting an attempt whose Job exists already
 * (a files service that restarted while it ran) adopts that Job instead of creating a second one.
 * Stop deletes the Job (its pod gets SIGTERM and the trainer ends between steps); the exit status
 * is the trainer container's, read from the Job's pod. Needs: jobs create/get/list/watch/delete,
 * pods list, pods/log get, in the namespace the Jobs run in.
 */
public final class KubernetesJobRunner implements JobRunner, AutoCloseable {

  private static final System.Logger LOG = System.getLogger(KubernetesJobRunner.class.getName());

  /** Prefix of the runner reference of an attempt ({@code kubernetes:<namespace>/<job name>}). */
  static final String PREFIX = "kubernetes:";

  /** Label: the fine-tuning job an attempt's Job trains. */
  public static final String JOB_LABEL = "parley.io/fine-tuning-job";

  /** Label: the attempt. */
  public static final String ATTEMPT_LABEL = "parley.io/attempt";

  /** The trainer container's name. */
  static final String CONTAINER = "trainer";

  /** The exit status reported when a Job ended without a status of its trainer (pod gone). */
  static final int EXIT_LOST = 255;

  /** The exit status of a trainer stopped on request (what the trainer itself exits with). */
  static final int EXIT_STOPPED = 130;

  /** Where the trainer image keeps its Java runtime, jar and writable scratch space. */
  static final String IMAGE_JAVA = "/opt/java/bin/java";

  static final String IMAGE_JAR = "/opt/parley/trainer/parley-trainer.jar";
  static final String SCRATCH = "/tmp";

  /**
   * What the Jobs look like.
   *
   * @param namespace where the Jobs run; empty for the client's own (in a cluster: the files
   *     service's namespace)
   * @param image the trainer image
   * @param imagePullPolicy {@code IfNotPresent}, {@code Always} or {@code Never}
   * @param serviceAccount the Jobs' service account; empty for the namespace's default (its token
   *     is never mounted: the trainer calls no API)
   * @param workVolumeClaim the claim holding the work directory, shared with the files service
   * @param workDirectory the work directory (mounted at the same path in the trainer)
   * @param modelsVolumeClaim the claim holding the base models, if they are not in the image
   * @param modelsPath where the base models' files are (mounted read-only at the same path)
   * @param requests resource requests ({@code cpu}, {@code memory})
   * @param limits resource limits ({@code cpu}, {@code memory}, {@code nvidia.com/gpu})
   * @param ttlSecondsAfterFinished how long a finished Job is kept
   * @param runAsUser the trainer's user id (non-root): the files service's, so both can read and
   *     write the work volume
   * @param runAsGroup the trainer's group id and the pod's fsGroup (the files service's)
   * @param javaOptions extra JVM options of the trainer (heap size)
   */
  public record Settings(
      String namespace,
      String image,
      String imagePullPolicy,
      Optional<String> serviceAccount,
      String workVolumeClaim,
      Path workDirectory,
      Optional<String> modelsVolumeClaim,
      Path modelsPath,
      Map<String, String> requests,
      Map<String, String> limits,
      int ttlSecondsAfterFinished,
      long runAsUser,
      long runAsGroup,
      List<String> javaOptions) {

    /** Checks what a Job cannot run without. */
    public Settings {
      if (image.isBlank()) {
        throw new IllegalArgumentException(
            "parley.finetuning.kubernetes.image is not set (the parley-trainer image)");
      }
      if (workVolumeClaim.isBlank()) {
        throw new IllegalArgumentException(
            "parley.finetuning.kubernetes.work-volume-claim is not set: the trainer's Job shares"
                + " the work directory with the files service through it");
      }
      if (runAsUser <= 0 || runAsGroup < 0) {
        throw new IllegalArgumentException(
            "The trainer runs as a non-root user, not " + runAsUser + ":" + runAsGroup);
      }
      requests = Map.copyOf(requests);
      limits = Map.copyOf(limits);
      javaOptions = List.copyOf(javaOptions);
    }
  }

  private final KubernetesClient client;
  private final Settings settings;
  private final String namespace;

  /**
   * @param client the Kubernetes client (closed by {@link #close()})
   * @param settings what the Jobs look like
   */
  public KubernetesJobRunner(KubernetesClient client, Settings settings) {
    this.client = client;
    this.settings = settings;
    this.namespace =
        !settings.namespace().isBlank()
            ? settings.namespace()
            : Optional.ofNullable(client.getNamespace()).orElse("default");
    LOG.log(
        System.Logger.Level.INFO,
        "Trainers run as Kubernetes Jobs of image {0} in namespace {1} of {2}",
        settings.image(),
        namespace,
        client.getMasterUrl());
  }

  /**
   * The Job's name: DNS-1123, at most 63 characters (the pod's {@code job-name} label), and
   * distinct for job ids that differ only in case (ids are base 62).
   */
  static String jobName(String jobId, int attempt) {
    String hash;
    try {
      hash =
          HexFormat.of()
              .formatHex(
                  MessageDigest.getInstance("SHA-256")
                      .digest(jobId.getBytes(StandardCharsets.UTF_8)))
              .substring(0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    var readable = jobId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    var tail = "-" + hash + "-a" + attempt;
    int room = 63 - "parley-".length() - tail.length();
    if (readable.length() > room) {
      readable = readable.substring(0, room);
    }
    return "parley-" + readable + tail;
  }

  @Override
  public Execution start(Spec spec) {
    var name = jobName(spec.jobId(), spec.attempt());
    var jobs = client.batch().v1().jobs().inNamespace(namespace);
    try {
      var existing = jobs.withName(name).get();
      if (existing == null) {
        try {
          jobs.resource(job(name, spec)).create();
          LOG.log(
              System.Logger.Level.INFO,
              "Trainer for {0} attempt {1} started: Job {2}/{3}",
              spec.jobId(),
              Integer.toString(spec.attempt()),
              namespace,
              name);
        } catch (KubernetesClientException e) {
          if (e.getCode() != 409) {
            throw e;
          }
          existing = jobs.withName(name).get(); // created meanwhile by an earlier start
        }
      }
      if (existing != null) {
        if (!ownedBy(existing, spec.jobId(), spec.attempt())) {
          throw new StoreException(
              "The Job " + name + " exists and is not the trainer of " + spec.jobId(), null);
        }
        LOG.log(
            System.Logger.Level.INFO,
            "Trainer for {0} attempt {1} runs already: adopting Job {2}/{3}",
            spec.jobId(),
            Integer.toString(spec.attempt()),
            namespace,
            name);
      }
      return new JobExecution(name);
    } catch (KubernetesClientException e) {
      throw new StoreException("Cannot start the trainer's Job " + name + ": " + e.getMessage(), e);
    }
  }

  private static boolean ownedBy(Job job, String jobId, int attempt) {
    var labels = job.getMetadata().getLabels();
    return labels != null
        && jobId.equals(labels.get(JOB_LABEL))
        && Integer.toString(attempt).equals(labels.get(ATTEMPT_LABEL));
  }

  /** The Job of one attempt. */
  Job job(String name, Spec spec) {
    var labels = new LinkedHashMap<String, String>();
    labels.put("app.kubernetes.io/name", "parley-trainer");
    labels.put("app.kubernetes.io/component", "trainer");
    labels.put("app.kubernetes.io/part-of", "parley");
    labels.put("app.kubernetes.io/managed-by", "parley-files");
    labels.put(JOB_LABEL, spec.jobId());
    labels.put(ATTEMPT_LABEL, Integer.toString(spec.attempt()));

    var volumes = new ArrayList<Volume>();
    var mounts = new ArrayList<VolumeMount>();
    volumes.add(
        new VolumeBuilder()
            .withName("work")
            .withNewPersistentVolumeClaim(settings.workVolumeClaim(), false)
            .build());
    mounts.add(mount("work", settings.workDirectory().toString(), false));
    settings
        .modelsVolumeClaim()
        .ifPresent(
            claim -> {
              volumes.add(
                  new VolumeBuilder()
                      .withName("models")
                      .withNewPersistentVolumeClaim(claim, true)
                      .build());
              mounts.add(mount("models", settings.modelsPath().toString(), true));
            });
    volumes.add(
        new VolumeBuilder().withName("tmp").withEmptyDir(new EmptyDirVolumeSource()).build());
    mounts.add(mount("tmp", SCRATCH, false));

    var resources = new ResourceRequirementsBuilder();
    settings.requests().forEach((k, v) -> resources.addToRequests(k, new Quantity(v)));
    settings.limits().forEach((k, v) -> resources.addToLimits(k, new Quantity(v)));

    var container =
        new ContainerBuilder()
            .withName(CONTAINER)
            .withImage(settings.image())
            .withImagePullPolicy(settings.imagePullPolicy())
            .withCommand(
                TrainerLaunch.command(
                    IMAGE_JAVA, IMAGE_JAR, settings.javaOptions(), SCRATCH + "/djl", spec))
            .withWorkingDir(spec.output().toString())
            .addNewEnv()
            .withName("MALLOC_ARENA_MAX")
            .withValue("2")
            .endEnv()
            .withResources(resources.build())
            .withVolumeMounts(mounts)
            .withNewSecurityContext()
            .withRunAsNonRoot(true)
            .withRunAsUser(settings.runAsUser())
            .withRunAsGroup(settings.runAsGroup())
            .withAllowPrivilegeEscalation(false)
            .withReadOnlyRootFilesystem(true)
            .withNewCapabilities()
            .withDrop("ALL")
            .endCapabilities()
            .endSecurityContext()
            .build();

    return new JobBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .withBackoffLimit(0)
        .withTtlSecondsAfterFinished(settings.ttlSecondsAfterFinished())
        .withNewTemplate()
        .withNewMetadata()
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .withRestartPolicy("Never")
        .withServiceAccountName(settings.serviceAccount().orElse(null))
        .withAutomountServiceAccountToken(false)
        .withTerminationGracePeriodSeconds(60L)
        .withNewSecurityContext()
        .withRunAsNonRoot(true)
        .withRunAsUser(settings.runAsUser())
        .withRunAsGroup(settings.runAsGroup())
        .withFsGroup(settings.runAsGroup())
        .withFsGroupChangePolicy("OnRootMismatch")
        .withNewSeccompProfile()
        .withType("RuntimeDefault")
        .endSeccompProfile()
        .endSecurityContext()
        .withContainers(container)
        .withVolumes(volumes)
        .endSpec()
        .endTemplate()
        .endSpec()
        .build();
  }

  private static VolumeMount mount(String volume, String path, boolean readOnly) {
    return new io.fabric8.kubernetes.api.model.VolumeMountBuilder()
        .withName(volume)
        .withMountPath(path)
        .withReadOnly(readOnly)
        .build();
  }

  @Override
  public void stopLeftover(String runnerRef, String jobId) {
    if (!runnerRef.startsWith(PREFIX)) {
      return;
    }
    var ref = runnerRef.substring(PREFIX.length());
    int slash = ref.indexOf('/');
    if (slash <= 0) {
      return;
    }
    var namespace = ref.substring(0, slash);
    var name = ref.substring(slash + 1);
    var resource = client.batch().v1().jobs().inNamespace(namespace).withName(name);
    try {
      var job = resource.get();
      if (job == null
          || job.getMetadata().getLabels() == null
          || !jobId.equals(job.getMetadata().getLabels().get(JOB_LABEL))) {
        return;
      }
      LOG.log(
          System.Logger.Level.INFO,
          "Deleting Job {0}/{1} left behind by an earlier attempt of {2}",
          namespace,
          name,
          jobId);
      resource
          .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.FOREGROUND)
          .delete();
      resource.waitUntilCondition(j -> j == null, 30, TimeUnit.SECONDS);
    } catch (KubernetesClientException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "Could not delete the Job " + namespace + "/" + name + " left behind by " + jobId,
          e);
    }
  }

  /** Closes the Kubernetes client. */
  @Override
  public void close() {
    client.close();
  }

  /** How a Job ended, as its informer saw it. */
  private enum End {
    SUCCEEDED,
    FAILED,
    GONE
  }

  /** How a Job's state says it ended; empty while it runs. */
  private static Optional<End> endOf(Job job) {
    var status = job.getStatus();
    if (status == null) {
      return Optional.empty();
    }
    if (status.getSucceeded() != null && status.getSucceeded() > 0
        || hasCondition(job, "Complete")) {
      return Optional.of(End.SUCCEEDED);
    }
    if (status.getFailed() != null && status.getFailed() > 0 || hasCondition(job, "Failed")) {
      return Optional.of(End.FAILED);
    }
    return Optional.empty();
  }

  private static boolean hasCondition(Job job, String type) {
    var conditions = job.getStatus().getConditions();
    return conditions != null
        && conditions.stream()
            .anyMatch(c -> type.equals(c.getType()) && "True".equals(c.getStatus()));
  }

  private List<Pod> pods(String jobName) {
    return client
        .pods()
        .inNamespace(namespace)
        .withLabel("batch.kubernetes.io/job-name", jobName)
        .list()
        .getItems();
  }

  /** The trainer container's exit status, from the Job's pod. */
  private OptionalInt trainerExit(String jobName) {
    try {
      for (var pod : pods(jobName)) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
          continue;
        }
        for (ContainerStatus c : pod.getStatus().getContainerStatuses()) {
          if (CONTAINER.equals(c.getName())
              && c.getState() != null
              && c.getState().getTerminated() != null) {
            return OptionalInt.of(c.getState().getTerminated().getExitCode());
          }
        }
      }
    } catch (KubernetesClientException e) {
      LOG.log(System.Logger.Level.WARNING, "Cannot read the pods of Job " + jobName, e);
    }
    return OptionalInt.empty();
  }

  /** One attempt's Job, watched by an informer of its own until it ends. */
  private final class JobExecution implements Execution {
    private final String name;
    // completed by the informer's thread, which never calls the API itself
    private final CompletableFuture<End> ended = new CompletableFuture<>();
    private volatile OptionalInt exit = OptionalInt.empty();
    private final SharedIndexInformer<Job> informer;
    private volatile boolean stopRequested;
    private volatile long logReadAt;
    private volatile Optional<String> log = Optional.empty();

    JobExecution(String name) {
      this.name = name;
      this.informer =
          client
              .batch()
              .v1()
              .jobs()
              .inNamespace(namespace)
              .withName(name)
              .inform(
                  new ResourceEventHandler<>() {
                    @Override
                    public void onAdd(Job job) {
                      seen(job);
                    }

                    @Override
                    public void onUpdate(Job before, Job job) {
                      seen(job);
                    }

                    @Override
                    public void onDelete(Job job, boolean finalStateUnknown) {
                      gone();
                    }
                  });
      // the Job may have ended, or gone, before the informer's first list
      if (client.batch().v1().jobs().inNamespace(namespace).withName(name).get() == null) {
        gone();
      }
    }

    private void seen(Job job) {
      endOf(job).ifPresent(ended::complete);
    }

    private void gone() {
      ended.complete(End.GONE);
    }

    /** The exit status of a Job that ended (read from its pod on the waiting thread). */
    private int exitStatus(End end) {
      return switch (end) {
        case SUCCEEDED -> 0;
        case FAILED -> trainerExit(name).orElse(EXIT_LOST);
        // deleted: on request (stopped), or by someone else before it ended (lost)
        case GONE -> stopRequested ? trainerExit(name).orElse(EXIT_STOPPED) : EXIT_LOST;
      };
    }

    @Override
    public String reference() {
      return PREFIX + namespace + "/" + name;
    }

    @Override
    public OptionalInt await(Duration timeout) {
      if (exit.isPresent()) {
        return exit;
      }
      try {
        var end = ended.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        informer.close();
        exit = OptionalInt.of(exitStatus(end));
        return exit;
      } catch (TimeoutException e) {
        return OptionalInt.empty();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return OptionalInt.empty();
      } catch (ExecutionException e) {
        return OptionalInt.of(EXIT_LOST);
      }
    }

    @Override
    public void stop() {
      stopRequested = true;
      delete(Optional.empty());
    }

    @Override
    public void kill() {
      stopRequested = true;
      delete(Optional.of(0L));
      try {
        client
            .pods()
            .inNamespace(namespace)
            .withLabel("batch.kubernetes.io/job-name", name)
            .withGracePeriod(0)
            .delete();
      } catch (KubernetesClientException e) {
        LOG.log(System.Logger.Level.WARNING, "Cannot delete the pods of Job " + name, e);
      }
    }

    private void delete(Optional<Long> gracePeriod) {
      var job = client.batch().v1().jobs().inNamespace(namespace).withName(name);
      try {
        if (gracePeriod.isPresent()) {
          job.withGracePeriod(gracePeriod.get())
              .withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.BACKGROUND)
              .delete();
        } else {
          job.withPropagationPolicy(io.fabric8.kubernetes.api.model.DeletionPropagation.FOREGROUND)
              .delete();
        }
      } catch (KubernetesClientException e) {
        LOG.log(System.Logger.Level.WARNING, "Cannot delete the Job " + name, e);
      }
    }

    /** The trainer's last 40 log lines (read at most every 5 seconds while it runs). */
    @Override
    public Optional<String> lastError() {
      long now = System.nanoTime();
      if (ended.isDone() || now - logReadAt > TimeUnit.SECONDS.toNanos(5)) {
        logReadAt = now;
        try {
          for (var pod : pods(name)) {
            var text =
                client
                    .pods()
                    .inNamespace(namespace)
                    .withName(pod.getMetadata().getName())
                    .inContainer(CONTAINER)
                    .tailingLines(40)
                    .getLog();
            if (text != null && !text.isBlank()) {
              log = Optional.of(text.strip());
            }
          }
        } catch (KubernetesClientException e) {
          // the pod is not running yet, or is gone: keep what was read before
        }
      }
      return log;
    }
  }
}
