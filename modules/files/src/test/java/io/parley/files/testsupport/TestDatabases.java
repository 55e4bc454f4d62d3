package io.parley.files.testsupport;

import io.parley.files.infrastructure.jdbc.FilesDatabase;
import io.parley.persistence.Database;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/** Databases for tests: a fresh PostgreSQL schema, or an in-memory H2 database. */
public final class TestDatabases {

  private TestDatabases() {}

  /** Base URL of the test PostgreSQL database. */
  public static String postgresUrl() {
    return System.getProperty("parley.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test");
  }

  /** User of the test PostgreSQL database. */
  public static String postgresUser() {
    return System.getProperty("parley.test.postgres.user", "postgres");
  }

  /** Creates a new empty schema and returns its name. */
  public static String newSchema() {
    var name = "files_t" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    execute("CREATE SCHEMA " + name);
    return name;
  }

  /** Drops a schema made by {@link #newSchema}. */
  public static void dropSchema(String schema) {
    execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }

  /** A JDBC URL pointing at one schema. */
  public static String schemaUrl(String schema) {
    return postgresUrl() + "?currentSchema=" + schema;
  }

  /** A pool on one schema (migrated). */
  public static Database postgres(String schema, int poolSize) {
    return FilesDatabase.open(schemaUrl(schema), postgresUser(), Optional.empty(), poolSize);
  }

  /** A private in-memory H2 database (migrated). */
  public static Database h2() {
    var name = "files" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    return FilesDatabase.open(
        "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1", "sa", Optional.empty(), 4);
  }

  private static void execute(String sql) {
    try (var c = DriverManager.getConnection(postgresUrl(), postgresUser(), "");
        var st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL at " + postgresUrl() + " failed: " + sql, e);
    }
  }
}
