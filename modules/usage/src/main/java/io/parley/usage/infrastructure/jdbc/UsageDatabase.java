package io.parley.usage.infrastructure.jdbc;

import io.parley.persistence.Database;
import io.parley.persistence.Schema;
import io.parley.usage.domain.StoreException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The usage database: the shared pool-and-migrations layer ({@link Database}) with this service's
 * migrations and its {@link StoreException}.
 */
public final class UsageDatabase {

  /**
   * Every migration under {@code db/migration}, in order: a new file is added here (a test checks
   * the list against the directory).
   */
  static final List<String> MIGRATIONS =
      List.of("V1__usage_schema.sql", "V2__identity.sql", "V3__batched_ledger_and_leases.sql");

  /** The usage schema. */
  static final Schema SCHEMA =
      new Schema(
          "parley-usage",
          UsageDatabase.class.getClassLoader(),
          MIGRATIONS,
          e -> new StoreException("The usage database failed.", e));

  private UsageDatabase() {}

  /**
   * Opens the pool and migrates the schema.
   *
   * @param url JDBC URL ({@code jdbc:postgresql:…} or {@code jdbc:h2:…})
   * @param user database user
   * @param passwordFile file holding the password, if any
   * @param poolSize maximum connections
   */
  public static Database open(String url, String user, Optional<Path> passwordFile, int poolSize) {
    return Database.open(SCHEMA, url, user, passwordFile, poolSize);
  }

  /** Applies the migrations under {@code db/migration}. */
  public static void migrate(DataSource dataSource) {
    Database.migrate(SCHEMA, dataSource);
  }
}
