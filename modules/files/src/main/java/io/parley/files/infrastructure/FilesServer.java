package io.parley.files.infrastructure;

import io.parley.common.grpc.GrpcServerRunner;
import io.parley.files.api.grpc.FilesCallers;
import io.parley.files.api.grpc.FilesGrpcService;
import io.parley.files.application.FileService;
import io.parley.files.domain.BlobStore;
import io.parley.files.domain.FileUses;
import io.parley.files.infrastructure.blob.DirectoryBlobStore;
import io.parley.files.infrastructure.blob.MeteredBlobStore;
import io.parley.files.infrastructure.blob.S3BlobStore;
import io.parley.files.infrastructure.config.FilesSettings;
import io.parley.files.infrastructure.jdbc.FilesDatabase;
import io.parley.files.infrastructure.jdbc.JdbcFileRepository;
import io.parley.persistence.Database;
import java.time.Clock;
import java.util.List;

/**
 * The whole files service wired together: database, blob store, use cases, gRPC server. Started by
 * {@link FilesRuntime} in Liberty; usable on its own (tests, benchmarks).
 */
public final class FilesServer implements AutoCloseable {

  private final Database database;
  private final BlobStore blobs;
  private final FileService files;
  private final JdbcFileRepository repository;
  private final GrpcServerRunner grpc;

  private FilesServer(FilesSettings settings, Clock clock) {
    blobs = new MeteredBlobStore(openStore(settings), settings.store());
    database =
        FilesDatabase.open(
            settings.dbUrl(), settings.dbUser(), settings.dbPasswordFile(), settings.dbPoolSize());
    try {
      repository = new JdbcFileRepository(database.jdbc());
      files = new FileService(repository, blobs, settings.limits(), clock);
      grpc =
          new GrpcServerRunner(
              settings.grpcHost(),
              settings.grpcPort(),
              settings.security(),
              FilesCallers.POLICY,
              List.of(new FilesGrpcService(files, settings.chunkBytes())),
              List.of(),
              settings.lifetime(),
              false,
              settings.grpcEventLoops());
    } catch (RuntimeException e) {
      database.close();
      throw e;
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

  @Override
  public void close() {
    grpc.close();
    database.close();
  }
}
