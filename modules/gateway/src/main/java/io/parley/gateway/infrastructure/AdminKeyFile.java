package io.parley.gateway.infrastructure;

import io.parley.common.ids.Ids;
import io.parley.gateway.application.AdminKeySource;
import io.parley.gateway.domain.ApiKeys;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The bootstrap admin key, kept in a file ({@code parley.gateway.admin-key-file}): in Kubernetes
 * one mounted from a Secret, on a laptop one the gateway writes itself on first start (owner-only,
 * written atomically) when {@code parley.gateway.admin-key-generate} allows it.
 */
@ApplicationScoped
public class AdminKeyFile implements AdminKeySource {

  /** Random characters after {@link ApiKeys#PREFIX} in a generated key. */
  static final int RANDOM_CHARS = 48;

  private static final System.Logger LOG = System.getLogger(AdminKeyFile.class.getName());

  private Path file;
  private boolean generate;

  /** For CDI proxies. */
  protected AdminKeyFile() {}

  /**
   * @param file where the key is
   * @param generate whether to create a key when the file does not exist
   */
  @Inject
  public AdminKeyFile(
      @ConfigProperty(name = "parley.gateway.admin-key-file") String file,
      @ConfigProperty(name = "parley.gateway.admin-key-generate") boolean generate) {
    this.file = Path.of(file);
    this.generate = generate;
  }

  @Override
  public String adminKey() {
    return loadOrCreate(file, generate, line -> LOG.log(System.Logger.Level.INFO, line));
  }

  /**
   * Reads the key, or creates the file when it is missing and generating is allowed.
   *
   * @param file where the key is
   * @param generate whether to create a key when the file does not exist
   * @param log receives one line when a key was written (never the key)
   * @return the key
   * @throws IllegalStateException when there is no key and none may be generated, or the file is
   *     empty
   */
  public static String loadOrCreate(Path file, boolean generate, Consumer<String> log) {
    try {
      if (Files.exists(file)) {
        return read(file);
      }
      if (!generate) {
        throw new IllegalStateException(
            "No admin key: "
                + file
                + " does not exist and parley.gateway.admin-key-generate is false");
      }
      return create(file, log);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read or write the admin key file " + file, e);
    }
  }

  private static String read(Path file) throws IOException {
    var key = Files.readString(file, StandardCharsets.UTF_8).trim();
    if (key.isEmpty()) {
      throw new IllegalStateException("The admin key file " + file + " is empty");
    }
    return key;
  }

  private static String create(Path file, Consumer<String> log) throws IOException {
    var key = ApiKeys.PREFIX + Ids.randomChars(RANDOM_CHARS);
    var dir = file.toAbsolutePath().getParent();
    boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    if (!Files.isDirectory(dir)) {
      if (posix) {
        Files.createDirectories(
            dir,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      } else {
        Files.createDirectories(dir);
      }
    }
    Path temp =
        posix
            ? Files.createTempFile(
                dir,
                ".admin-key",
                ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
            : Files.createTempFile(dir, ".admin-key", ".tmp");
    try {
      Files.writeString(temp, key + "\n", StandardCharsets.UTF_8);
      try {
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
      } catch (FileAlreadyExistsException e) {
        return read(file);
      }
    } finally {
      Files.deleteIfExists(temp);
    }
    log.accept(
        "Generated the admin API key and wrote it to " + file + " (readable by its owner only)");
    return key;
  }
}
