package io.parley.persistence;

import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.flywaydb.core.api.ResourceProvider;
import org.flywaydb.core.api.resource.LoadableResource;

/**
 * A service's migrations, listed by name and read through its class loader. Flyway's own class-path
 * scanner cannot list a directory inside a WAR deployed on Liberty, so the list is explicit: every
 * new file under {@code db/migration} is added to the service's list (each service has a test that
 * checks the list against the directory).
 */
public final class MigrationResources implements ResourceProvider {

  /** Location of the migrations on the class path. */
  public static final String LOCATION = "db/migration";

  private final ClassLoader classLoader;
  private final List<String> migrations;

  /** The migrations {@code migrations} under {@link #LOCATION} of {@code classLoader}. */
  public MigrationResources(ClassLoader classLoader, List<String> migrations) {
    this.classLoader = classLoader;
    this.migrations = List.copyOf(migrations);
  }

  @Override
  public LoadableResource getResource(String name) {
    var file = name.contains("/") ? name.substring(name.lastIndexOf('/') + 1) : name;
    return migrations.contains(file) ? new Migration(file) : null;
  }

  @Override
  public Collection<LoadableResource> getResources(String prefix, String[] suffixes) {
    return migrations.stream()
        .filter(f -> f.startsWith(prefix) && Arrays.stream(suffixes).anyMatch(f::endsWith))
        .<LoadableResource>map(Migration::new)
        .toList();
  }

  private final class Migration extends LoadableResource {
    private final String file;

    Migration(String file) {
      this.file = file;
    }

    @Override
    public Reader read() {
      var stream = classLoader.getResourceAsStream(LOCATION + "/" + file);
      if (stream == null) {
        throw new UncheckedIOException(
            new java.io.FileNotFoundException("Missing migration " + LOCATION + "/" + file));
      }
      return new InputStreamReader(stream, StandardCharsets.UTF_8);
    }

    @Override
    public String getAbsolutePath() {
      return LOCATION + "/" + file;
    }

    @Override
    public String getAbsolutePathOnDisk() {
      return LOCATION + "/" + file;
    }

    @Override
    public String getFilename() {
      return file;
    }

    @Override
    public String getRelativePath() {
      return file;
    }
  }
}
