package io.parley.files.infrastructure.blob;

import io.parley.files.domain.BlobStore;
import io.parley.files.domain.StoreException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Blobs as files under one directory (a PersistentVolumeClaim in Kubernetes): written to {@code
 * tmp/<random>} and renamed atomically to their key on commit. Temporary files older than a day
 * (left by a process that died mid-upload) are removed when the store opens.
 */
public final class DirectoryBlobStore implements BlobStore {

  private static final System.Logger LOG = System.getLogger(DirectoryBlobStore.class.getName());
  private static final Pattern KEY = Pattern.compile("[a-z]+/[A-Za-z0-9_-]{1,64}");

  private final Path root;
  private final Path tmp;

  private DirectoryBlobStore(Path root) {
    this.root = root;
    this.tmp = root.resolve("tmp");
  }

  /** Opens (creating when needed) the store under {@code root}. */
  public static DirectoryBlobStore open(Path root) {
    var store = new DirectoryBlobStore(root.toAbsolutePath().normalize());
    try {
      Files.createDirectories(store.tmp);
    } catch (IOException e) {
      throw new StoreException("Cannot create the blob directory " + root, e);
    }
    store.sweepTemporary(Duration.ofDays(1));
    return store;
  }

  private void sweepTemporary(Duration olderThan) {
    var limit = Instant.now().minus(olderThan);
    try (var files = Files.list(tmp)) {
      for (var file : files.toList()) {
        if (Files.getLastModifiedTime(file).toInstant().isBefore(limit)) {
          Files.deleteIfExists(file);
        }
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "Could not sweep temporary blobs in " + tmp, e);
    }
  }

  private Path path(String key) {
    if (!KEY.matcher(key).matches()) {
      throw new IllegalArgumentException("Bad blob key " + key);
    }
    return root.resolve(key);
  }

  @Override
  public BlobWriter create(String key) {
    var target = path(key);
    var file = tmp.resolve(UUID.randomUUID() + ".tmp");
    try {
      return new Writer(
          target,
          file,
          Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
    } catch (IOException e) {
      throw new StoreException("Cannot write to the blob store.", e);
    }
  }

  @Override
  public InputStream open(String key) {
    try {
      return Files.newInputStream(path(key));
    } catch (NoSuchFileException e) {
      throw new StoreException("The blob " + key + " is missing from the store.", e);
    } catch (IOException e) {
      throw new StoreException("Cannot read the blob store.", e);
    }
  }

  @Override
  public void delete(String key) {
    try {
      Files.deleteIfExists(path(key));
    } catch (IOException e) {
      throw new StoreException("Cannot delete from the blob store.", e);
    }
  }

  @Override
  public boolean healthy() {
    try {
      var probe = Files.createTempFile(tmp, "health", ".tmp");
      Files.delete(probe);
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static final class Writer implements BlobWriter {
    private final Path target;
    private final Path file;
    private final OutputStream out;
    private boolean closed;
    private boolean committed;

    Writer(Path target, Path file, OutputStream out) {
      this.target = target;
      this.file = file;
      this.out = out;
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      try {
        out.write(bytes, offset, length);
      } catch (IOException e) {
        throw new StoreException("Cannot write to the blob store.", e);
      }
    }

    @Override
    public void commit() {
      if (committed) {
        return;
      }
      try {
        closeStream();
        Files.createDirectories(target.getParent());
        try {
          Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(file, target);
        }
        committed = true;
      } catch (FileAlreadyExistsException e) {
        throw new StoreException("The blob " + target + " exists already.", e);
      } catch (IOException e) {
        throw new StoreException("Cannot commit to the blob store.", e);
      }
    }

    @Override
    public void abort() {
      if (committed) {
        return;
      }
      try {
        closeStream();
      } catch (IOException e) {
        // deleting anyway
      }
      try {
        Files.deleteIfExists(file);
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, "Could not delete temporary blob " + file, e);
      }
    }

    private void closeStream() throws IOException {
      if (!closed) {
        closed = true;
        out.close();
      }
    }

    @Override
    public void close() {
      abort();
    }
  }
}
