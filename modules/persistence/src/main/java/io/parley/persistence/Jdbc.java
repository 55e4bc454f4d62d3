package io.parley.persistence;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.function.Function;
import javax.sql.DataSource;

/** Runs units of work on pooled connections, in transactions that are retried on deadlocks. */
public final class Jdbc {

  /** Work on one connection. */
  @FunctionalInterface
  public interface Work<T> {
    /** Does the work. */
    T run(Connection connection) throws SQLException;
  }

  /** Raised inside a unit of work when an insert hit a unique constraint. */
  public static final class DuplicateKey extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DuplicateKey(SQLException cause) {
      super(cause.getMessage(), cause, false, false);
    }
  }

  private static final int ATTEMPTS = 5;

  private final DataSource dataSource;
  private final Function<SQLException, RuntimeException> failure;

  /**
   * Units of work on {@code dataSource}.
   *
   * @param failure what a failed unit of work becomes (the service's store exception)
   */
  public Jdbc(DataSource dataSource, Function<SQLException, RuntimeException> failure) {
    this.dataSource = dataSource;
    this.failure = failure;
  }

  /** The pool. */
  public DataSource dataSource() {
    return dataSource;
  }

  /**
   * Runs {@code work} in one transaction (read committed), committing on return and rolling back on
   * any exception. Deadlocks and serialization failures are retried; a unique-constraint violation
   * surfaces as {@link DuplicateKey}.
   */
  public <T> T inTransaction(Work<T> work) {
    for (int attempt = 1; ; attempt++) {
      try (var connection = dataSource.getConnection()) {
        connection.setAutoCommit(false);
        try {
          T result = work.run(connection);
          connection.commit();
          return result;
        } catch (SQLException | RuntimeException e) {
          rollbackQuietly(connection, e);
          throw e;
        } finally {
          connection.setAutoCommit(true);
        }
      } catch (SQLException e) {
        if (isUniqueViolation(e)) {
          throw new DuplicateKey(e);
        }
        if (isRetryable(e) && attempt < ATTEMPTS) {
          continue;
        }
        throw failure.apply(e);
      }
    }
  }

  /** Runs {@code work} with auto-commit. */
  public <T> T autoCommit(Work<T> work) {
    try (var connection = dataSource.getConnection()) {
      return work.run(connection);
    } catch (SQLException e) {
      if (isUniqueViolation(e)) {
        throw new DuplicateKey(e);
      }
      throw failure.apply(e);
    }
  }

  private static void rollbackQuietly(Connection connection, Exception cause) {
    try {
      connection.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }

  /** SQLSTATE 23505, the same on PostgreSQL and H2. */
  public static boolean isUniqueViolation(SQLException e) {
    return "23505".equals(e.getSQLState());
  }

  private static boolean isRetryable(SQLException e) {
    var state = e.getSQLState();
    return "40001".equals(state) || "40P01".equals(state) || "HYT00".equals(state);
  }
}
