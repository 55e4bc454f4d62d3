package io.parley.usage.infrastructure.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.persistence.Database;
import io.parley.usage.testsupport.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The explicit migration list matches the files, and Flyway applies it on H2 and PostgreSQL. */
class MigrationResourcesTest {

  @Test
  void everyMigrationFile_isListed() throws Exception {
    try (Stream<Path> files = Files.list(Path.of("src/main/resources/db/migration"))) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .isEqualTo(UsageDatabase.MIGRATIONS);
    }
  }

  @Test
  void migrations_applyOnH2_andPostgreSql_andAreRepeatable() throws Exception {
    try (var h2 = TestDatabases.h2()) {
      UsageDatabase.migrate(h2.jdbc().dataSource());
      assertThat(count(h2, "SELECT COUNT(*) FROM ledger")).isZero();
    }
    var schema = TestDatabases.newSchema();
    try (var pg = TestDatabases.postgres(schema, 2)) {
      UsageDatabase.migrate(pg.jdbc().dataSource());
      assertThat(count(pg, "SELECT COUNT(*) FROM ledger")).isZero();
      assertThat(count(pg, "SELECT COUNT(*) FROM flyway_schema_history WHERE success"))
          .isEqualTo(UsageDatabase.MIGRATIONS.size());
    } finally {
      TestDatabases.dropSchema(schema);
    }
  }

  private static long count(Database db, String sql) throws Exception {
    try (var c = db.jdbc().dataSource().getConnection();
        var rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
