package io.parley.persistence;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;

/**
 * A service's database: a HikariCP pool migrated by Flyway on open. HikariCP lives in the
 * application rather than in Liberty's {@code dataSource} so that the same code runs in plain unit
 * tests, in Liberty and against either PostgreSQL or embedded H2 chosen by the URL alone.
 */
public final class Database implements AutoCloseable {

  private final HikariDataSource dataSource;
  private final Jdbc jdbc;

  private Database(HikariDataSource dataSource, Schema schema) {
    this.dataSource = dataSource;
    this.jdbc = new Jdbc(dataSource, schema.failure());
  }

  /**
   * Opens the pool and migrates the schema.
   *
   * @param schema the service's schema
   * @param url JDBC URL ({@code jdbc:postgresql:…} or {@code jdbc:h2:…})
   * @param user database user
   * @param passwordFile file holding the password, if any
   * @param poolSize maximum connections
   */
  public static Database open(
      Schema schema, String url, String user, Optional<Path> passwordFile, int poolSize) {
    var config = new HikariConfig();
    config.setJdbcUrl(h2Defaults(url));
    config.setUsername(user);
    passwordFile.ifPresent(file -> config.setPassword(readSecret(file)));
    config.setMaximumPoolSize(poolSize);
    config.setMinimumIdle(Math.min(2, poolSize));
    config.setPoolName(schema.name());
    config.setConnectionTimeout(10_000);
    config.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
    if (url.startsWith("jdbc:postgresql:")) {
      config.setDriverClassName("org.postgresql.Driver");
    } else if (url.startsWith("jdbc:h2:")) {
      config.setDriverClassName("org.h2.Driver");
    }
    var dataSource = new HikariDataSource(config);
    try {
      migrate(schema, dataSource);
    } catch (RuntimeException e) {
      dataSource.close();
      throw e;
    }
    return new Database(dataSource, schema);
  }

  /** Applies the schema's migrations to {@code dataSource}. */
  public static void migrate(Schema schema, DataSource dataSource) {
    Flyway.configure(schema.classLoader())
        .dataSource(dataSource)
        .resourceProvider(new MigrationResources(schema.classLoader(), schema.migrations()))
        .callbackLocations(new String[0])
        .load()
        .migrate();
  }

  /** Embedded H2 waits for row locks as long as PostgreSQL would (its default is one second). */
  private static String h2Defaults(String url) {
    if (url.startsWith("jdbc:h2:") && !url.toUpperCase().contains("LOCK_TIMEOUT")) {
      return url + ";LOCK_TIMEOUT=10000";
    }
    return url;
  }

  private static String readSecret(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read the database password file " + file, e);
    }
  }

  /** Transactions on the pool. */
  public Jdbc jdbc() {
    return jdbc;
  }

  /** Whether the database answers within {@code seconds}. */
  public boolean healthy(int seconds) {
    try (var c = dataSource.getConnection()) {
      return c.isValid(seconds);
    } catch (Exception e) {
      return false;
    }
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
