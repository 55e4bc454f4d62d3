package io.parley.files.infrastructure;

import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.grpc.ManagedChannel;
import io.parley.common.grpc.Channels;
import io.parley.common.grpc.GrpcServerRunner;
import io.parley.common.grpc.security.MutualTls;
import io.parley.common.grpc.security.ServiceIdentity;
import io.parley.files.api.grpc.FilesCallers;
import io.parley.files.api.grpc.FilesGrpcService;
import io.parley.files.api.grpc.FineTuningGrpcService;
import io.parley.files.application.FileService;
import io.parley.files.application.FineTuningService;
import io.parley.files.application.FineTuningWorker;
import io.parley.files.domain.BlobStore;
import io.parley.files.domain.FileUses;
import io.parley.files.domain.JobRunner;
import io.parley.files.infrastructure.blob.DirectoryBlobStore;
import io.parley.files.infrastructure.blob.MeteredBlobStore;
import io.parley.files.infrastructure.blob.S3BlobStore;
import io.parley.files.infrastructure.config.FilesSettings;
import io.parley.files.infrastructure.jdbc.FilesDatabase;
import io.parley.files.infrastructure.jdbc.JdbcFileRepository;
import io.parley.files.infrastructure.jdbc.JdbcJobRepository;
import io.parley.files.infrastructure.trainer.KubernetesJobRunner;
import io.parley.files.infrastructure.trainer.LocalProcessRunner;
import io.parley.files.infrastructure.usage.UsageBilling;
import io.parley.persistence.Database;
import java.time.Clock;
import java.util.List;
import java.util.Optional;

/**
 * The whole files service wired together: database, blob store, use cases, gRPC server. Started by
 * {@link FilesRuntime} in Liberty; usable on its own (tests, benchmarks).
 */
public final class FilesServer implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(FilesServer.class.getName());

  private final Database database;
  private final BlobStore blobs;
  private final FileService files;
  private final JdbcFileRepository repository;
  private final GrpcServerRunner grpc;
  private final FineTuningService fineTuning;
  private final Optional<FineTuningWorker> worker;
  private final Optional<MutualTls> clientTls;
  private final Optional<ManagedChannel> usage;
  private final Optional<KubernetesJobRunner> kubernetesJobs;

  private FilesServer(FilesSettings settings, Clock clock) {
    blobs = new MeteredBlobStore(openStore(settings), settings.store());
    database =
        FilesDatabase.open(
            settings.dbUrl(), settings.dbUser(), settings.dbPasswordFile(), settings.dbPoolSize());
    Optional<MutualTls> tls = Optional.empty();
    Optional<ManagedChannel> usageChannel = Optional.empty();
    Optional<KubernetesJobRunner> kubernetesRunner = Optional.empty();
    try {
      repository = new JdbcFileRepository(database.jdbc());
      files = new FileService(repository, blobs, settings.limits(), clock);
      var jobs = new JdbcJobRepository(database.jdbc());
      fineTuning = new FineTuningService(jobs, files, blobs, settings.fineTuning(), clock);
      if (settings.usageTarget().isPresent()) {
        tls = Optional.of(MutualTls.load(settings.security()));
        usageChannel =
            Optional.of(
                Channels.open(
                    settings.usageTarget().get(),
                    4 * 1024 * 1024,
                    tls.get(),
                    ServiceIdentity.USAGE));
      } else {
        LOG.log(
            System.Logger.Level.WARNING,
            "parley.usage.target is not set: trained tokens of fine-tuning jobs are not billed");
      }
      var trainer = settings.trainer();
      Optional<JobRunner> jobRunner = Optional.empty();
      if (settings.fineTuning().maxConcurrentJobs() > 0) {
        if (settings.kubernetes().isPresent()) {
          var kubernetes =
              new KubernetesJobRunner(
                  new KubernetesClientBuilder().build(), settings.kubernetes().get());
          kubernetesRunner = Optional.of(kubernetes);
          jobRunner = Optional.of(kubernetes);
        } else if (trainer.jar().isPresent()) {
          jobRunner =
              Optional.of(
                  new LocalProcessRunner(
                      trainer.java(),
                      trainer.jar().get(),
                      trainer.javaOptions(),
                      trainer.cacheDirectory()));
        }
      }
      if (jobRunner.isPresent()) {
        worker =
            Optional.of(
                new FineTuningWorker(
                    jobs,
                    files,
                    blobs,
                    jobRunner.get(),
                    new UsageBilling(usageChannel, settings.usageDeadline().toMillis()),
                    settings.fineTuning(),
                    clock,
                    workerName()));
      } else {
        LOG.log(
            System.Logger.Level.WARNING,
            "No trainer configured (parley.finetuning.trainer.jar, or"
                + " parley.finetuning.runner=kubernetes): fine-tuning jobs queue here"
                + " and are trained by other replicas only");
        worker = Optional.empty();
      }
      grpc =
          new GrpcServerRunner(
              settings.grpcHost(),
              settings.grpcPort(),
              settings.security(),
              FilesCallers.POLICY,
              List.of(
                  new FilesGrpcService(files, settings.chunkBytes()),
                  new FineTuningGrpcService(fineTuning, settings.chunkBytes())),
              List.of(),
              settings.lifetime(),
              false,
              settings.grpcEventLoops());
      worker.ifPresent(FineTuningWorker::start);
    } catch (RuntimeException e) {
      kubernetesRunner.ifPresent(KubernetesJobRunner::close);
      usageChannel.ifPresent(Channels::close);
      tls.ifPresent(MutualTls::close);
      database.close();
      throw e;
    }
    clientTls = tls;
    usage = usageChannel;
    kubernetesJobs = kubernetesRunner;
  }

  private static String workerName() {
    var self = ProcessHandle.current().pid();
    try {
      return java.net.InetAddress.getLocalHost().getHostName() + ":" + self;
    } catch (java.net.UnknownHostException e) {
      return "localhost:" + self;
    }
  }

  private static BlobStore openStore(FilesSettings settings) {
    return switch (settings.store()) {
      case "directory" -> DirectoryBlobStore.open(settings.storeDirectory());
      case "s3" -> {
        var s3 = settings.s3();
        if (s3.bucket().isBlank()) {
          throw new IllegalArgumentException("parley.files.s3.bucket is not set");
        }
        yield S3BlobStore.open(
            s3.endpoint(),
            s3.region(),
            s3.pathStyle(),
            s3.accessKeyFile().map(FilesServer::readSecret),
            s3.secretKeyFile().map(FilesServer::readSecret),
            s3.bucket(),
            s3.partBytes());
      }
      default ->
          throw new IllegalArgumentException(
              "parley.files.store must be directory or s3, not " + settings.store());
    };
  }

  private static String readSecret(java.nio.file.Path file) {
    try {
      return java.nio.file.Files.readString(file, java.nio.charset.StandardCharsets.UTF_8).strip();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("Cannot read the secret file " + file, e);
    }
  }

  /** Opens the database (migrating it) and the store, and starts gRPC. */
  public static FilesServer start(FilesSettings settings, Clock clock) {
    return new FilesServer(settings, clock);
  }

  /** The bound gRPC port. */
  public int port() {
    return grpc.port();
  }

  /** Whether the database answers. */
  public boolean databaseHealthy() {
    return database.healthy(2);
  }

  /** Whether the blob store can be written. */
  public boolean storeHealthy() {
    return blobs.healthy();
  }

  /** The use cases. */
  public FileService files() {
    return files;
  }

  /** The "file in use" port, for the jobs that use files. */
  public FileUses uses() {
    return repository;
  }

  /** The fine-tuning use cases. */
  public FineTuningService fineTuning() {
    return fineTuning;
  }

  /** The worker training jobs here, when this service trains. */
  public Optional<FineTuningWorker> worker() {
    return worker;
  }

  @Override
  public void close() {
    worker.ifPresent(FineTuningWorker::close);
    kubernetesJobs.ifPresent(KubernetesJobRunner::close);
    grpc.close();
    usage.ifPresent(Channels::close);
    clientTls.ifPresent(MutualTls::close);
    database.close();
  }
}
