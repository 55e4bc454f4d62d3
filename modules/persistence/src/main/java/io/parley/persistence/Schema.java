package io.parley.persistence;

import java.sql.SQLException;
import java.util.List;
import java.util.function.Function;

/**
 * What one service's database is: its name (the pool's), where its migrations are read from, their
 * list in order, and the exception of the service's own family that a database failure becomes.
 *
 * @param name pool name, e.g. {@code parley-usage}
 * @param classLoader loads {@code db/migration/<file>} (the service's own)
 * @param migrations every migration file under {@code db/migration}, in order
 * @param failure turns a failed unit of work into the service's store exception
 */
public record Schema(
    String name,
    ClassLoader classLoader,
    List<String> migrations,
    Function<SQLException, RuntimeException> failure) {

  /** Copies the list. */
  public Schema {
    migrations = List.copyOf(migrations);
  }
}
