package io.parley.testing;

import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The test PostgreSQL server (127.0.0.1:5432 unless {@code parley.test.postgres.url} says
 * otherwise): a fresh schema per test class, dropped afterwards. Fails, never skips, when the
 * server does not answer. The JDBC driver comes from the test's own class path.
 */
public final class TestPostgres {

  private TestPostgres() {}

  /** Base URL of the test PostgreSQL database. */
  public static String url() {
    return System.getProperty("parley.test.postgres.url", "jdbc:postgresql://127.0.0.1:5432/test");
  }

  /** User of the test PostgreSQL database. */
  public static String user() {
    return System.getProperty("parley.test.postgres.user", "postgres");
  }

  /** Creates a new empty schema named {@code <prefix>_t<random>} and returns its name. */
  public static String newSchema(String prefix) {
    var name = prefix + "_t" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    execute("CREATE SCHEMA " + name);
    return name;
  }

  /** Drops a schema made by {@link #newSchema}. */
  public static void dropSchema(String schema) {
    execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
  }

  /** A JDBC URL pointing at one schema. */
  public static String schemaUrl(String schema) {
    return url() + "?currentSchema=" + schema;
  }

  private static void execute(String sql) {
    try (var c = DriverManager.getConnection(url(), user(), "");
        var st = c.createStatement()) {
      st.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL at " + url() + " failed: " + sql, e);
    }
  }
}
