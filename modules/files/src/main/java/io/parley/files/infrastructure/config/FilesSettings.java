package io.parley.files.infrastructure.config;

import io.parley.common.grpc.ConnectionLifetime;
import io.parley.common.grpc.security.GrpcSecurity;
import io.parley.common.runtime.HostResources;
import io.parley.files.application.FileLimits;
import io.parley.files.application.FineTuningSettings;
import io.parley.files.infrastructure.trainer.KubernetesJobRunner;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;

/**
 * The files service's settings, read from MicroProfile Config (defaults in {@code
 * META-INF/microprofile-config.properties}, overridden by environment variables such as {@code
 * PARLEY_FILES_DB_URL}).
 *
 * @param grpcHost address the gRPC server binds
 * @param grpcPort port of the gRPC server
 * @param security certificates of the gRPC server's mutual TLS
 * @param lifetime how long the gRPC server keeps client connections and lets calls finish
 * @param dbUrl JDBC URL (H2 or PostgreSQL)
 * @param dbUser database user
 * @param dbPasswordFile file with the database password
 * @param dbPoolSize maximum pooled connections
 * @param store {@code directory} or {@code s3}
 * @param storeDirectory root of the directory store
 * @param limits sizes and counts enforced
 * @param chunkBytes bytes per download message
 * @param s3 the S3-compatible store, when {@code store} is {@code s3}
 * @param grpcEventLoops Netty event-loop threads of the gRPC server ({@code
 *     parley.grpc.event-loop-threads}, 0 = chosen from the host)
 * @param fineTuning how jobs are trained
 * @param runner how trainers run: {@code local} (a child process) or {@code kubernetes} (a Job)
 * @param trainer the local trainer command
 * @param kubernetes the trainer's Jobs, when {@code runner} is {@code kubernetes}
 * @param usageTarget gRPC target of the usage service (billing), if any
 * @param usageDeadline deadline of a billing call
 */
public record FilesSettings(
    String grpcHost,
    int grpcPort,
    GrpcSecurity security,
    ConnectionLifetime lifetime,
    String dbUrl,
    String dbUser,
    Optional<Path> dbPasswordFile,
    int dbPoolSize,
    String store,
    Path storeDirectory,
    FileLimits limits,
    int chunkBytes,
    S3 s3,
    int grpcEventLoops,
    FineTuningSettings fineTuning,
    String runner,
    Trainer trainer,
    Optional<KubernetesJobRunner.Settings> kubernetes,
    Optional<String> usageTarget,
    Duration usageDeadline) {

  /**
   * The trainer run as a child process.
   *
   * @param java the java launcher
   * @param jar parley-trainer.jar; empty when this service trains nothing
   * @param javaOptions extra JVM options of the trainer
   * @param cacheDirectory where PyTorch's native library is unpacked
   */
  public record Trainer(
      Path java, Optional<Path> jar, java.util.List<String> javaOptions, Path cacheDirectory) {}

  /**
   * Settings of the S3-compatible store.
   *
   * @param bucket the bucket
   * @param endpoint the endpoint; empty for AWS's own
   * @param region the region
   * @param pathStyle path-style addressing (MinIO, Ceph, s3proxy)
   * @param accessKeyFile file holding the access key (a mounted Secret); empty for the default AWS
   *     credential chain
   * @param secretKeyFile file holding the secret key
   * @param partBytes bytes per multipart-upload part
   */
  public record S3(
      String bucket,
      Optional<URI> endpoint,
      String region,
      boolean pathStyle,
      Optional<Path> accessKeyFile,
      Optional<Path> secretKeyFile,
      int partBytes) {}

  /** Reads the settings. */
  public static FilesSettings from(Config config) {
    var dataDir =
        config
            .getOptionalValue("parley.data-dir", String.class)
            .orElse(System.getProperty("user.home") + "/.parley/data");
    var runner = config.getOptionalValue("parley.finetuning.runner", String.class).orElse("local");
    if (!runner.equals("local") && !runner.equals("kubernetes")) {
      throw new IllegalArgumentException(
          "parley.finetuning.runner must be local or kubernetes, not " + runner);
    }
    var workDirectory =
        Path.of(
            config
                .getOptionalValue("parley.finetuning.work-directory", String.class)
                .orElse(dataDir + "/fine-tuning"));
    var javaOptions =
        nonBlank(config.getOptionalValue("parley.finetuning.trainer.java-options", String.class))
            .map(o -> java.util.List.of(o.split("\\s+")))
            .orElse(java.util.List.of());
    return new FilesSettings(
        config.getOptionalValue("parley.grpc.host", String.class).orElse("127.0.0.1"),
        config.getOptionalValue("parley.grpc.port", Integer.class).orElse(9100),
        GrpcSecurity.from(config),
        ConnectionLifetime.from(config, Duration.ofSeconds(10)),
        config
            .getOptionalValue("parley.files.db.url", String.class)
            .orElse("jdbc:h2:file:" + dataDir + "/files"),
        config.getOptionalValue("parley.files.db.user", String.class).orElse("sa"),
        nonBlank(config.getOptionalValue("parley.files.db.password-file", String.class))
            .map(Path::of),
        config.getOptionalValue("parley.files.db.pool-size", Integer.class).orElse(10),
        config.getOptionalValue("parley.files.store", String.class).orElse("directory"),
        Path.of(
            config
                .getOptionalValue("parley.files.store.directory", String.class)
                .orElse(dataDir + "/blobs")),
        new FileLimits(
            config.getOptionalValue("parley.files.max-file-bytes", Long.class).orElse(536870912L),
            config.getOptionalValue("parley.files.quota-bytes", Long.class).orElse(10737418240L),
            config.getOptionalValue("parley.files.max-line-bytes", Integer.class).orElse(4194304),
            config.getOptionalValue("parley.files.min-examples", Integer.class).orElse(10),
            config
                .getOptionalValue("parley.files.upload.max-part-bytes", Long.class)
                .orElse(67108864L),
            config.getOptionalValue("parley.files.upload.max-parts", Integer.class).orElse(10000),
            Duration.ofSeconds(
                config.getOptionalValue("parley.files.upload.ttl-s", Long.class).orElse(3600L))),
        config.getOptionalValue("parley.files.chunk-bytes", Integer.class).orElse(262144),
        new S3(
            config.getOptionalValue("parley.files.s3.bucket", String.class).orElse(""),
            nonBlank(config.getOptionalValue("parley.files.s3.endpoint", String.class))
                .map(URI::create),
            config.getOptionalValue("parley.files.s3.region", String.class).orElse("us-east-1"),
            config.getOptionalValue("parley.files.s3.path-style", Boolean.class).orElse(true),
            nonBlank(config.getOptionalValue("parley.files.s3.access-key-file", String.class))
                .map(Path::of),
            nonBlank(config.getOptionalValue("parley.files.s3.secret-key-file", String.class))
                .map(Path::of),
            config.getOptionalValue("parley.files.s3.part-bytes", Integer.class).orElse(8388608)),
        HostResources.from(config).eventLoopThreads(config),
        new FineTuningSettings(
            FineTuningSettings.parseBaseModels(
                config.getOptionalValue("parley.finetuning.base-models", String.class).orElse("")),
            config
                .getOptionalValue("parley.finetuning.max-concurrent-jobs", Integer.class)
                .orElse(1),
            config
                .getOptionalValue(
                    "parley.finetuning.max-concurrent-jobs-per-organization", Integer.class)
                .orElse(1),
            Duration.ofMillis(
                config.getOptionalValue("parley.finetuning.lease-ms", Long.class).orElse(30000L)),
            Duration.ofMillis(
                config
                    .getOptionalValue("parley.finetuning.heartbeat-ms", Long.class)
                    .orElse(1000L)),
            Duration.ofMillis(
                config.getOptionalValue("parley.finetuning.poll-ms", Long.class).orElse(1000L)),
            config.getOptionalValue("parley.finetuning.max-attempts", Integer.class).orElse(5),
            workDirectory,
            config.getOptionalValue("parley.finetuning.trainer.threads", Integer.class).orElse(0)),
        runner,
        new Trainer(
            Path.of(
                nonBlank(config.getOptionalValue("parley.finetuning.trainer.java", String.class))
                    .orElse(System.getProperty("java.home") + "/bin/java")),
            nonBlank(config.getOptionalValue("parley.finetuning.trainer.jar", String.class))
                .map(Path::of),
            javaOptions,
            Path.of(
                nonBlank(
                        config.getOptionalValue(
                            "parley.finetuning.trainer.cache-directory", String.class))
                    .orElse(System.getProperty("user.home") + "/.cache/parley/djl"))),
        runner.equals("kubernetes")
            ? Optional.of(kubernetes(config, workDirectory, javaOptions))
            : Optional.empty(),
        nonBlank(config.getOptionalValue("parley.usage.target", String.class)),
        Duration.ofMillis(
            config.getOptionalValue("parley.usage.deadline-ms", Long.class).orElse(10000L)));
  }

  private static KubernetesJobRunner.Settings kubernetes(
      Config config, Path workDirectory, java.util.List<String> javaOptions) {
    var k = "parley.finetuning.kubernetes.";
    var requests = new java.util.LinkedHashMap<String, String>();
    nonBlank(config.getOptionalValue(k + "cpu-request", String.class))
        .ifPresent(v -> requests.put("cpu", v));
    nonBlank(config.getOptionalValue(k + "memory-request", String.class))
        .ifPresent(v -> requests.put("memory", v));
    var limits = new java.util.LinkedHashMap<String, String>();
    nonBlank(config.getOptionalValue(k + "cpu-limit", String.class))
        .ifPresent(v -> limits.put("cpu", v));
    nonBlank(config.getOptionalValue(k + "memory-limit", String.class))
        .ifPresent(v -> limits.put("memory", v));
    config
        .getOptionalValue(k + "gpus", Integer.class)
        .filter(n -> n > 0)
        .ifPresent(n -> limits.put("nvidia.com/gpu", Integer.toString(n)));
    return new KubernetesJobRunner.Settings(
        nonBlank(config.getOptionalValue(k + "namespace", String.class)).orElse(""),
        nonBlank(config.getOptionalValue(k + "image", String.class)).orElse(""),
        nonBlank(config.getOptionalValue(k + "image-pull-policy", String.class))
            .orElse("IfNotPresent"),
        nonBlank(config.getOptionalValue(k + "service-account", String.class)),
        nonBlank(config.getOptionalValue(k + "work-volume-claim", String.class)).orElse(""),
        workDirectory,
        nonBlank(config.getOptionalValue(k + "models-volume-claim", String.class)),
        Path.of(
            nonBlank(config.getOptionalValue(k + "models-path", String.class)).orElse("/models")),
        requests,
        limits,
        config.getOptionalValue(k + "ttl-seconds-after-finished", Integer.class).orElse(3600),
        config.getOptionalValue(k + "run-as-user", Long.class).orElse(1001L),
        config.getOptionalValue(k + "run-as-group", Long.class).orElse(1001L),
        javaOptions);
  }

  private static Optional<String> nonBlank(Optional<String> value) {
    return value.map(String::strip).filter(s -> !s.isEmpty());
  }
}
