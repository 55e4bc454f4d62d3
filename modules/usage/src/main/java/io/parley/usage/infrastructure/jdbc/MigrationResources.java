package io.parley.usage.infrastructure.jdbc;

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
 * The migrations, listed by name and read through the class loader. Flyway's own class-path scanner
 * cannot list a directory inside a WAR deployed on Liberty, so the list is explicit: every new file
 * under {@code db/migration} is added to {@link #MIGRATIONS} (a test checks they match).
 */
final class MigrationResources implements ResourceProvider {

  /** Location of the migrations on the class path. */
  static final String LOCATION = "db/migration";

  /** Every migration, in order. */
  static final List<String> MIGRATIONS = List.of("V1__usage_schema.sql", "V2__identity.sql");

  private final ClassLoader classLoader;

  MigrationResources(ClassLoader classLoader) {
    this.classLoader = classLoader;
  }

  @Override
  public LoadableResource getResource(String name) {
    var file = name.contains("/") ? name.substring(name.lastIndexOf('/') + 1) : name;
    return MIGRATIONS.contains(file) ? new Migration(file) : null;
  }

  @Override
  public Collection<LoadableResource> getResources(String prefix, String[] suffixes) {
    return MIGRATIONS.stream()
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
