package io.parley.usage.infrastructure.jdbc;

import io.parley.common.ids.Ids;
import io.parley.persistence.Jdbc;
import io.parley.usage.domain.ConflictException;
import io.parley.usage.domain.Cost;
import io.parley.usage.domain.InsufficientQuotaException;
import io.parley.usage.domain.LedgerRepository;
import io.parley.usage.domain.NotFoundException;
import io.parley.usage.domain.Notification;
import io.parley.usage.domain.Reservation;
import io.parley.usage.domain.ReservationState;
import io.parley.usage.domain.ReserveOutcome;
import io.parley.usage.domain.SettleOutcome;
import io.parley.usage.domain.TokenCounts;
import io.parley.usage.domain.UnreservedUsage;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The ledger on JDBC. Exactness across replicas comes from one budget row per organization and
 * period, locked ({@code SELECT … FOR UPDATE}) by every Reserve, Settle and Release of that
 * organization, and from the ledger's primary key on the request id, which makes every call
 * idempotent. Locks are always taken in the same order (ledger row, then budget row).
 */
public final class JdbcLedgerRepository implements LedgerRepository {

  private final Jdbc jdbc;

  public JdbcLedgerRepository(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public ReserveOutcome reserve(Reservation r, long softLimitMicros, long hardLimitMicros) {
    var existing = replay(r.requestId(), r.organizationId(), hardLimitMicros);
    if (existing.isPresent()) {
      return existing.get();
    }
    ensureBudget(r.organizationId(), r.periodStart());
    long cost = r.cost().totalMicros();
    try {
      return jdbc.inTransaction(
          c -> {
            try (var insert =
                c.prepareStatement(
                    "INSERT INTO ledger (request_id, organization_id, api_key_id, user_id, model,"
                        + " period_start, state, estimated_prompt_tokens,"
                        + " estimated_completion_tokens, reserved_micros, created_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, 'R', ?, ?, ?, ?)")) {
              insert.setString(1, r.requestId());
              insert.setString(2, r.organizationId());
              insert.setString(3, r.apiKeyId());
              insert.setString(4, r.userId());
              insert.setString(5, r.model());
              insert.setLong(6, r.periodStart());
              insert.setLong(7, r.estimated().prompt());
              insert.setLong(8, r.estimated().completion());
              insert.setLong(9, cost);
              insert.setLong(10, r.nowMillis());
              insert.executeUpdate();
            }
            var budget = lockBudget(c, r.organizationId(), r.periodStart());
            long committed = budget.spent + budget.reserved + cost;
            if (hardLimitMicros > 0 && committed > hardLimitMicros) {
              throw new InsufficientQuotaException();
            }
            addToBudget(c, r.organizationId(), r.periodStart(), 0, cost);
            var notification =
                softLimit(
                    c,
                    r.organizationId(),
                    r.periodStart(),
                    softLimitMicros,
                    committed,
                    budget.softReachedAt,
                    r.nowMillis());
            return new ReserveOutcome(
                ReservationState.RESERVED,
                cost,
                hardLimitMicros > 0 ? hardLimitMicros - committed : -1,
                notification);
          });
    } catch (Jdbc.DuplicateKey e) {
      // A concurrent call with the same request id won; report its entry.
      return replay(r.requestId(), r.organizationId(), hardLimitMicros)
          .orElseThrow(() -> new IllegalStateException("Ledger entry vanished", e));
    }
  }

  private Optional<ReserveOutcome> replay(
      String requestId, String organizationId, long hardLimitMicros) {
    return jdbc.autoCommit(
        c -> {
          try (var select =
              c.prepareStatement(
                  "SELECT organization_id, state, reserved_micros, period_start FROM ledger"
                      + " WHERE request_id = ?")) {
            select.setString(1, requestId);
            try (var rs = select.executeQuery()) {
              if (!rs.next()) {
                return Optional.<ReserveOutcome>empty();
              }
              if (!rs.getString(1).equals(organizationId)) {
                throw ConflictException.requestId(requestId);
              }
              var state = ReservationState.ofCode(rs.getString(2));
              long reserved = rs.getLong(3);
              long remaining = -1;
              if (hardLimitMicros > 0) {
                var totals = totals(c, organizationId, rs.getLong(4));
                remaining = hardLimitMicros - totals[0] - totals[1];
              }
              return Optional.of(new ReserveOutcome(state, reserved, remaining, Optional.empty()));
            }
          }
        });
  }

  @Override
  public SettleOutcome settle(
      String requestId,
      TokenCounts actual,
      Function<String, Cost> pricing,
      Optional<UnreservedUsage> unreserved,
      long softLimitMicros,
      long nowMillis) {
    unreserved.ifPresent(u -> ensureBudget(u.organizationId(), u.periodStart()));
    for (int attempt = 0; ; attempt++) {
      try {
        return jdbc.inTransaction(
            c -> settleIn(c, requestId, actual, pricing, unreserved, softLimitMicros, nowMillis));
      } catch (Jdbc.DuplicateKey e) {
        // A concurrent Reserve or Settle created the entry; settle against it.
        if (attempt >= 2) {
          throw e;
        }
      }
    }
  }

  private SettleOutcome settleIn(
      Connection c,
      String requestId,
      TokenCounts actual,
      Function<String, Cost> pricing,
      Optional<UnreservedUsage> unreserved,
      long softLimitMicros,
      long nowMillis)
      throws SQLException {
    String organizationId;
    String model;
    long period;
    ReservationState state;
    long reserved;
    try (var select =
        c.prepareStatement(
            "SELECT organization_id, model, period_start, state, reserved_micros,"
                + " input_cost_micros, output_cost_micros FROM ledger WHERE request_id = ?"
                + " FOR UPDATE")) {
      select.setString(1, requestId);
      try (var rs = select.executeQuery()) {
        if (!rs.next()) {
          if (unreserved.isEmpty()) {
            throw NotFoundException.reservation(requestId);
          }
          return settleUnreserved(
              c, requestId, actual, pricing, unreserved.get(), softLimitMicros, nowMillis);
        }
        organizationId = rs.getString(1);
        model = rs.getString(2);
        period = rs.getLong(3);
        state = ReservationState.ofCode(rs.getString(4));
        reserved = rs.getLong(5);
        if (state == ReservationState.SETTLED) {
          return new SettleOutcome(rs.getLong(6) + rs.getLong(7), true, Optional.empty());
        }
      }
    }
    var cost = pricing.apply(model);
    try (var update =
        c.prepareStatement(
            "UPDATE ledger SET state = 'S', prompt_tokens = ?, completion_tokens = ?,"
                + " input_cost_micros = ?, output_cost_micros = ?, finished_at = ?"
                + " WHERE request_id = ?")) {
      update.setLong(1, actual.prompt());
      update.setLong(2, actual.completion());
      update.setLong(3, cost.inputMicros());
      update.setLong(4, cost.outputMicros());
      update.setLong(5, nowMillis);
      update.setString(6, requestId);
      update.executeUpdate();
    }
    long heldBack = state == ReservationState.RESERVED ? reserved : 0;
    var budget = lockBudget(c, organizationId, period);
    addToBudget(c, organizationId, period, cost.totalMicros(), -heldBack);
    long committed = budget.spent + cost.totalMicros() + budget.reserved - heldBack;
    var notification =
        softLimit(
            c, organizationId, period, softLimitMicros, committed, budget.softReachedAt, nowMillis);
    return new SettleOutcome(cost.totalMicros(), false, notification);
  }

  private SettleOutcome settleUnreserved(
      Connection c,
      String requestId,
      TokenCounts actual,
      Function<String, Cost> pricing,
      UnreservedUsage u,
      long softLimitMicros,
      long nowMillis)
      throws SQLException {
    var cost = pricing.apply(u.model());
    try (var insert =
        c.prepareStatement(
            "INSERT INTO ledger (request_id, organization_id, api_key_id, user_id, model,"
                + " period_start, state, estimated_prompt_tokens, estimated_completion_tokens,"
                + " reserved_micros, prompt_tokens, completion_tokens, input_cost_micros,"
                + " output_cost_micros, created_at, finished_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, 'S', 0, 0, 0, ?, ?, ?, ?, ?, ?)")) {
      insert.setString(1, requestId);
      insert.setString(2, u.organizationId());
      insert.setString(3, u.apiKeyId());
      insert.setString(4, u.userId());
      insert.setString(5, u.model());
      insert.setLong(6, u.periodStart());
      insert.setLong(7, actual.prompt());
      insert.setLong(8, actual.completion());
      insert.setLong(9, cost.inputMicros());
      insert.setLong(10, cost.outputMicros());
      insert.setLong(11, nowMillis);
      insert.setLong(12, nowMillis);
      insert.executeUpdate();
    }
    var budget = lockBudget(c, u.organizationId(), u.periodStart());
    addToBudget(c, u.organizationId(), u.periodStart(), cost.totalMicros(), 0);
    long committed = budget.spent + budget.reserved + cost.totalMicros();
    var notification =
        softLimit(
            c,
            u.organizationId(),
            u.periodStart(),
            softLimitMicros,
            committed,
            budget.softReachedAt,
            nowMillis);
    return new SettleOutcome(cost.totalMicros(), false, notification);
  }

  @Override
  public ReservationState release(String requestId, long nowMillis) {
    return jdbc.inTransaction(
        c -> {
          String organizationId;
          long period;
          long reserved;
          try (var select =
              c.prepareStatement(
                  "SELECT organization_id, period_start, state, reserved_micros FROM ledger"
                      + " WHERE request_id = ? FOR UPDATE")) {
            select.setString(1, requestId);
            try (var rs = select.executeQuery()) {
              if (!rs.next()) {
                throw NotFoundException.reservation(requestId);
              }
              var state = ReservationState.ofCode(rs.getString(3));
              if (state != ReservationState.RESERVED) {
                return state;
              }
              organizationId = rs.getString(1);
              period = rs.getLong(2);
              reserved = rs.getLong(4);
            }
          }
          try (var update =
              c.prepareStatement(
                  "UPDATE ledger SET state = 'X', finished_at = ? WHERE request_id = ?")) {
            update.setLong(1, nowMillis);
            update.setString(2, requestId);
            update.executeUpdate();
          }
          lockBudget(c, organizationId, period);
          addToBudget(c, organizationId, period, 0, -reserved);
          return ReservationState.RELEASED;
        });
  }

  @Override
  public Optional<String> organizationOf(String requestId) {
    return jdbc.autoCommit(
        c -> {
          try (var select =
              c.prepareStatement("SELECT organization_id FROM ledger WHERE request_id = ?")) {
            select.setString(1, requestId);
            try (var rs = select.executeQuery()) {
              return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
            }
          }
        });
  }

  @Override
  public long[] spentAndReserved(String organizationId, long periodStart) {
    return jdbc.autoCommit(c -> totals(c, organizationId, periodStart));
  }

  @Override
  public long softLimitReachedAt(String organizationId, long periodStart) {
    return jdbc.autoCommit(
        c -> {
          try (var select =
              c.prepareStatement(
                  "SELECT soft_limit_reached_at FROM budgets"
                      + " WHERE organization_id = ? AND period_start = ?")) {
            select.setString(1, organizationId);
            select.setLong(2, periodStart);
            try (var rs = select.executeQuery()) {
              return rs.next() ? rs.getLong(1) : 0L;
            }
          }
        });
  }

  @Override
  public List<String> staleReservations(long beforeMillis, int max) {
    return jdbc.autoCommit(
        c -> {
          try (var select =
              c.prepareStatement(
                  "SELECT request_id FROM ledger WHERE state = 'R' AND created_at < ?"
                      + " ORDER BY created_at")) {
            select.setLong(1, beforeMillis);
            select.setMaxRows(max);
            var ids = new ArrayList<String>();
            try (var rs = select.executeQuery()) {
              while (rs.next()) {
                ids.add(rs.getString(1));
              }
            }
            return ids;
          }
        });
  }

  @Override
  public List<Notification> notifications(String organizationId) {
    return jdbc.autoCommit(
        c -> {
          try (var select =
              c.prepareStatement(
                  "SELECT id, organization_id, kind, period_start, threshold_micros,"
                      + " amount_micros, created_at, delivered_at FROM notifications"
                      + " WHERE organization_id = ? ORDER BY created_at DESC, id")) {
            select.setString(1, organizationId);
            var list = new ArrayList<Notification>();
            try (var rs = select.executeQuery()) {
              while (rs.next()) {
                list.add(
                    new Notification(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getString(3),
                        rs.getLong(4),
                        rs.getLong(5),
                        rs.getLong(6),
                        rs.getLong(7),
                        rs.getLong(8)));
              }
            }
            return list;
          }
        });
  }

  @Override
  public void markDelivered(String notificationId, long atSeconds) {
    jdbc.autoCommit(
        c -> {
          try (var update =
              c.prepareStatement("UPDATE notifications SET delivered_at = ? WHERE id = ?")) {
            update.setLong(1, atSeconds);
            update.setString(2, notificationId);
            return update.executeUpdate();
          }
        });
  }

  private record BudgetRow(long spent, long reserved, long softReachedAt) {}

  /** Creates the budget row of a period if missing (outside the caller's transaction). */
  private void ensureBudget(String organizationId, long periodStart) {
    boolean exists =
        jdbc.autoCommit(
            c -> {
              try (var select =
                  c.prepareStatement(
                      "SELECT 1 FROM budgets WHERE organization_id = ? AND period_start = ?")) {
                select.setString(1, organizationId);
                select.setLong(2, periodStart);
                try (var rs = select.executeQuery()) {
                  return rs.next();
                }
              }
            });
    if (exists) {
      return;
    }
    try {
      jdbc.autoCommit(
          c -> {
            try (var insert =
                c.prepareStatement(
                    "INSERT INTO budgets (organization_id, period_start) VALUES (?, ?)")) {
              insert.setString(1, organizationId);
              insert.setLong(2, periodStart);
              return insert.executeUpdate();
            }
          });
    } catch (Jdbc.DuplicateKey e) {
      // Another caller created it first.
    }
  }

  private static BudgetRow lockBudget(Connection c, String organizationId, long periodStart)
      throws SQLException {
    try (var select =
        c.prepareStatement(
            "SELECT spent_micros, reserved_micros, soft_limit_reached_at FROM budgets"
                + " WHERE organization_id = ? AND period_start = ? FOR UPDATE")) {
      select.setString(1, organizationId);
      select.setLong(2, periodStart);
      try (var rs = select.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("Budget row missing for " + organizationId, "P0002");
        }
        return new BudgetRow(rs.getLong(1), rs.getLong(2), rs.getLong(3));
      }
    }
  }

  private static void addToBudget(
      Connection c, String organizationId, long periodStart, long spent, long reserved)
      throws SQLException {
    try (var update =
        c.prepareStatement(
            "UPDATE budgets SET spent_micros = spent_micros + ?,"
                + " reserved_micros = reserved_micros + ?"
                + " WHERE organization_id = ? AND period_start = ?")) {
      update.setLong(1, spent);
      update.setLong(2, reserved);
      update.setString(3, organizationId);
      update.setLong(4, periodStart);
      update.executeUpdate();
    }
  }

  /** Raises the period's soft-limit notification when it is first reached (row lock held). */
  private static Optional<Notification> softLimit(
      Connection c,
      String organizationId,
      long periodStart,
      long softLimitMicros,
      long committed,
      long softReachedAt,
      long nowMillis)
      throws SQLException {
    if (softLimitMicros <= 0 || committed < softLimitMicros || softReachedAt != 0) {
      return Optional.empty();
    }
    long now = nowMillis / 1000;
    try (var update =
        c.prepareStatement(
            "UPDATE budgets SET soft_limit_reached_at = ?"
                + " WHERE organization_id = ? AND period_start = ? AND soft_limit_reached_at = 0")) {
      update.setLong(1, Math.max(now, 1));
      update.setString(2, organizationId);
      update.setLong(3, periodStart);
      if (update.executeUpdate() == 0) {
        return Optional.empty();
      }
    }
    var notification =
        new Notification(
            Ids.next("ntf-"),
            organizationId,
            Notification.SOFT_LIMIT_REACHED,
            periodStart,
            softLimitMicros,
            committed,
            now,
            0);
    try (var insert =
        c.prepareStatement(
            "INSERT INTO notifications (id, organization_id, kind, period_start,"
                + " threshold_micros, amount_micros, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      insert.setString(1, notification.id());
      insert.setString(2, organizationId);
      insert.setString(3, notification.kind());
      insert.setLong(4, periodStart);
      insert.setLong(5, softLimitMicros);
      insert.setLong(6, committed);
      insert.setLong(7, now);
      insert.executeUpdate();
    }
    return Optional.of(notification);
  }

  private static long[] totals(Connection c, String organizationId, long periodStart)
      throws SQLException {
    try (var select =
        c.prepareStatement(
            "SELECT spent_micros, reserved_micros FROM budgets"
                + " WHERE organization_id = ? AND period_start = ?")) {
      select.setString(1, organizationId);
      select.setLong(2, periodStart);
      try (var rs = select.executeQuery()) {
        return rs.next() ? new long[] {rs.getLong(1), rs.getLong(2)} : new long[] {0, 0};
      }
    }
  }
}
