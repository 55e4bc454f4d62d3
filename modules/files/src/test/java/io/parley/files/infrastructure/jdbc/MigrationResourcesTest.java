package io.parley.files.infrastructure.jdbc;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.files.testsupport.TestDatabases;
import io.parley.persistence.Database;
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
          .isEqualTo(FilesDatabase.MIGRATIONS);
    }
  }

  @Test
  void migrations_applyOnH2_andPostgreSql_andAreRepeatable() throws Exception {
    try (var h2 = TestDatabases.h2()) {
      FilesDatabase.migrate(h2.jdbc().dataSource());
      assertThat(count(h2, "SELECT COUNT(*) FROM files")).isZero();
      // the worker's claim (FOR UPDATE SKIP LOCKED) runs on embedded H2 too
      assertThat(new JdbcJobRepository(h2.jdbc()).claim("w", 1, 1, 1)).isEmpty();
    }
    var schema = TestDatabases.newSchema();
    try (var pg = TestDatabases.postgres(schema, 2)) {
      FilesDatabase.migrate(pg.jdbc().dataSource());
      assertThat(count(pg, "SELECT COUNT(*) FROM files")).isZero();
      assertThat(count(pg, "SELECT COUNT(*) FROM flyway_schema_history WHERE success"))
          .isEqualTo(FilesDatabase.MIGRATIONS.size());
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
