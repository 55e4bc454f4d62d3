package io.parley.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shared layer on embedded H2, with migrations from this module's test resources. */
class DatabaseTest {

  static final class StoreFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StoreFailure(SQLException cause) {
      super("store failed", cause);
    }
  }

  static final Schema SCHEMA =
      new Schema(
          "parley-test",
          DatabaseTest.class.getClassLoader(),
          List.of("V1__items.sql", "V2__note.sql"),
          StoreFailure::new);

  Database database;

  @BeforeEach
  void open() {
    database =
        Database.open(
            SCHEMA,
            "jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1",
            "sa",
            Optional.empty(),
            2);
  }

  @AfterEach
  void close() {
    database.close();
  }

  @Test
  void open_appliesEveryListedMigrationInOrder() {
    int rows =
        database
            .jdbc()
            .inTransaction(
                c -> c.createStatement().executeUpdate("INSERT INTO item VALUES ('a', 1, 'x')"));

    assertThat(rows).isEqualTo(1);
    assertThat(database.healthy(2)).isTrue();
  }

  @Test
  void duplicateKey_isItsOwnException_andTheTransactionRollsBack() {
    database
        .jdbc()
        .inTransaction(
            c -> c.createStatement().executeUpdate("INSERT INTO item VALUES ('a', 1, null)"));

    assertThatThrownBy(
            () ->
                database
                    .jdbc()
                    .inTransaction(
                        c -> {
                          c.createStatement()
                              .executeUpdate("INSERT INTO item VALUES ('b', 2, null)");
                          return c.createStatement()
                              .executeUpdate("INSERT INTO item VALUES ('a', 3, null)");
                        }))
        .isInstanceOf(Jdbc.DuplicateKey.class);
    long count =
        database
            .jdbc()
            .autoCommit(
                c -> {
                  var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM item");
                  rs.next();
                  return rs.getLong(1);
                });
    assertThat(count).isEqualTo(1);
  }

  @Test
  void otherFailures_becomeTheServicesOwnException() {
    assertThatThrownBy(
            () ->
                database
                    .jdbc()
                    .autoCommit(c -> c.createStatement().execute("SELECT nope FROM item")))
        .isInstanceOf(StoreFailure.class)
        .hasCauseInstanceOf(SQLException.class);
  }

  @Test
  void migrationResources_findOnlyListedFiles() {
    var resources = new MigrationResources(getClass().getClassLoader(), List.of("V1__items.sql"));

    assertThat(resources.getResource("db/migration/V1__items.sql")).isNotNull();
    assertThat(resources.getResource("db/migration/V2__note.sql")).isNull();
    assertThat(resources.getResources("V", new String[] {".sql"})).hasSize(1);
  }
}
