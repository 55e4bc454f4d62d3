package io.parley.usage.testsupport;

import io.parley.persistence.Database;
import io.parley.testing.TestPostgres;
import io.parley.usage.infrastructure.jdbc.UsageDatabase;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The usage database for tests: a fresh PostgreSQL schema ({@link TestPostgres}) or in-memory H2.
 */
public final class TestDatabases {

  private TestDatabases() {}

  /** User of the test PostgreSQL database. */
  public static String postgresUser() {
    return TestPostgres.user();
  }

  /** Creates a new empty schema and returns its name. */
  public static String newSchema() {
    return TestPostgres.newSchema("usage");
  }

  /** Drops a schema made by {@link #newSchema}. */
  public static void dropSchema(String schema) {
    TestPostgres.dropSchema(schema);
  }

  /** A JDBC URL pointing at one schema. */
  public static String schemaUrl(String schema) {
    return TestPostgres.schemaUrl(schema);
  }

  /** A pool on one schema (migrated). */
  public static Database postgres(String schema, int poolSize) {
    return UsageDatabase.open(schemaUrl(schema), postgresUser(), Optional.empty(), poolSize);
  }

  /** A private in-memory H2 database (migrated). */
  public static Database h2() {
    var name = "usage" + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1);
    return UsageDatabase.open(
        "jdbc:h2:mem:" + name + ";DB_CLOSE_DELAY=-1", "sa", Optional.empty(), 4);
  }
}
