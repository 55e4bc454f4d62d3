package io.parley.usage.infrastructure.jdbc;

import io.parley.common.ids.Ids;
import io.parley.persistence.Jdbc;
import io.parley.usage.domain.BudgetTotals;
import io.parley.usage.domain.ConflictException;
import io.parley.usage.domain.Cost;
import io.parley.usage.domain.InsufficientQuotaException;
import io.parley.usage.domain.LeaseGrant;
import io.parley.usage.domain.LeaseRequest;
import io.parley.usage.domain.LedgerEntry;
import io.parley.usage.domain.LedgerRepository;
import io.parley.usage.domain.NotFoundException;
import io.parley.usage.domain.Notification;
import io.parley.usage.domain.RecordOutcome;
import io.parley.usage.domain.RecordedBatch;
import io.parley.usage.domain.Reservation;
import io.parley.usage.domain.ReservationState;
import io.parley.usage.domain.ReserveOutcome;
import io.parley.usage.domain.SettleOutcome;
import io.parley.usage.domain.TokenCounts;
import io.parley.usage.domain.UnreservedUsage;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * The ledger on JDBC. Exactness across replicas comes from one budget row per organization and
 * period, locked ({@code SELECT … FOR UPDATE}) by every Reserve, Settle, Release, usage batch and
 * lease change of that organization, and from the primary keys on the request id and the lease id,
 * which make every call idempotent. Locks are always taken in the same order: ledger rows (in
 * request-id order), then budget rows (by organization and period), then lease rows.
 *
 * <p>Idempotency checks select the existing ids inside the transaction before inserting (no {@code
 * ON CONFLICT}, which H2 does not speak outside PostgreSQL mode); a concurrent insert of the same
 * id surfaces as a unique violation and the whole unit of work runs again.
 */
public final class JdbcLedgerRepository implements LedgerRepository {

  /** Most parameters of one {@code IN (…)} list. */
  private static final int IN_CHUNK = 500;

  private final Jdbc jdbc;

  public JdbcLedgerRepository(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public ReserveOutcome reserve(Reservation r, long softLimitMicros, long hardLimitMicros) {
    var existing = replay(r.requestId(), r.organizationId(), hardLimitMicros, r.nowMillis());
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
            long held = heldByLeases(c, r.organizationId(), r.periodStart(), r.nowMillis());
            long committed = budget.spent + budget.reserved + cost;
            if (hardLimitMicros > 0 && committed + held > hardLimitMicros) {
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
                hardLimitMicros > 0 ? hardLimitMicros - committed - held : -1,
                notification);
          });
    } catch (Jdbc.DuplicateKey e) {
      // A concurrent call with the same request id won; report its entry.
      return replay(r.requestId(), r.organizationId(), hardLimitMicros, r.nowMillis())
          .orElseThrow(() -> new IllegalStateException("Ledger entry vanished", e));
    }
  }

  private Optional<ReserveOutcome> replay(
      String requestId, String organizationId, long hardLimitMicros, long nowMillis) {
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
                var totals = totals(c, organizationId, rs.getLong(4), nowMillis);
                remaining = hardLimitMicros - totals.committedMicros();
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
  public RecordedBatch record(
      List<LedgerEntry> entries, Map<String, Long> softLimits, long nowMillis) {
    if (entries.isEmpty()) {
      return new RecordedBatch(List.of(), List.of());
    }
    entries.stream()
        .map(e -> new BudgetKey(e.record().organizationId(), e.periodStart()))
        .distinct()
        .forEach(k -> ensureBudget(k.organizationId(), k.periodStart()));
    for (int attempt = 0; ; attempt++) {
      try {
        return jdbc.inTransaction(c -> recordIn(c, entries, softLimits, nowMillis));
      } catch (Jdbc.DuplicateKey e) {
        // A concurrent batch recorded one of these request ids first: run again, now seeing it.
        if (attempt >= 2) {
          throw e;
        }
      }
    }
  }

  private RecordedBatch recordIn(
      Connection c, List<LedgerEntry> entries, Map<String, Long> softLimits, long nowMillis)
      throws SQLException {
    var known =
        ledgerOrganizations(
            c, entries.stream().map(e -> e.record().requestId()).distinct().toList());
    var outcomes = new ArrayList<RecordOutcome>(entries.size());
    // New entries by request id: rows are inserted in that order, so two batches that share
    // request ids lock them in the same order and cannot deadlock.
    var fresh = new TreeMap<String, LedgerEntry>();
    for (int i = 0; i < entries.size(); i++) {
      var entry = entries.get(i);
      var r = entry.record();
      var owner = known.get(r.requestId());
      if (owner == null) {
        var earlier = fresh.get(r.requestId());
        if (earlier == null) {
          fresh.put(r.requestId(), entry);
          outcomes.add(new RecordOutcome(r.requestId(), entry.cost().totalMicros(), false));
          continue;
        }
        owner = earlier.record().organizationId();
      }
      if (!owner.equals(r.organizationId())) {
        throw ConflictException.requestIdInBatch(r.requestId(), i);
      }
      outcomes.add(new RecordOutcome(r.requestId(), 0, true));
    }
    if (fresh.isEmpty()) {
      return new RecordedBatch(outcomes, List.of());
    }
    insertEntries(c, fresh.values(), nowMillis);

    var leases =
        leaseBudgets(
            c,
            fresh.values().stream()
                .map(e -> e.record().leaseId())
                .filter(id -> !id.isEmpty())
                .distinct()
                .toList());
    var spent = new TreeMap<BudgetKey, Long>();
    var leaseUse = new TreeMap<String, Long>();
    var toLock = new TreeSet<BudgetKey>();
    for (var e : fresh.values()) {
      var r = e.record();
      var key = new BudgetKey(r.organizationId(), e.periodStart());
      long cost = e.cost().totalMicros();
      spent.merge(key, cost, Long::sum);
      toLock.add(key);
      var lease = leases.get(r.leaseId());
      // A lease of another organization (or an unknown one) is not touched: the record is
      // charged as if admitted without a lease.
      if (lease != null && lease.organizationId().equals(r.organizationId())) {
        leaseUse.merge(r.leaseId(), cost, Long::sum);
        toLock.add(lease);
      }
    }
    // Budget rows in one order (organization, period), then lease rows in id order.
    var rows = new TreeMap<BudgetKey, BudgetRow>();
    for (var key : toLock) {
      rows.put(key, lockBudget(c, key.organizationId(), key.periodStart()));
    }
    for (var use : leaseUse.entrySet()) {
      chargeLease(c, use.getKey(), use.getValue());
    }
    var notifications = new ArrayList<Notification>();
    for (var s : spent.entrySet()) {
      var key = s.getKey();
      var row = rows.get(key);
      addToBudget(c, key.organizationId(), key.periodStart(), s.getValue(), 0);
      softLimit(
              c,
              key.organizationId(),
              key.periodStart(),
              softLimits.getOrDefault(key.organizationId(), 0L),
              row.spent + s.getValue() + row.reserved,
              row.softReachedAt,
              nowMillis)
          .ifPresent(notifications::add);
    }
    return new RecordedBatch(outcomes, notifications);
  }

  /** Organization of each request id already in the ledger. */
  private static Map<String, String> ledgerOrganizations(Connection c, List<String> requestIds)
      throws SQLException {
    var owners = new HashMap<String, String>();
    selectIn(
        c,
        "SELECT request_id, organization_id FROM ledger WHERE request_id",
        requestIds,
        rs -> owners.put(rs.getString(1), rs.getString(2)));
    return owners;
  }

  /** The budget (organization and period) of each lease that exists. */
  private static Map<String, BudgetKey> leaseBudgets(Connection c, List<String> leaseIds)
      throws SQLException {
    var budgets = new HashMap<String, BudgetKey>();
    selectIn(
        c,
        "SELECT id, organization_id, period_start FROM budget_leases WHERE id",
        leaseIds,
        rs -> budgets.put(rs.getString(1), new BudgetKey(rs.getString(2), rs.getLong(3))));
    return budgets;
  }

  /** Reads one row of a result. */
  @FunctionalInterface
  private interface Row {
    void read(java.sql.ResultSet rs) throws SQLException;
  }

  /**
   * Runs {@code select} (ending in the column to match) {@code IN (…)} over {@code ids}, {@link
   * #IN_CHUNK} at a time, handing every row to {@code row}.
   */
  private static void selectIn(Connection c, String select, List<String> ids, Row row)
      throws SQLException {
    for (int from = 0; from < ids.size(); from += IN_CHUNK) {
      var chunk = ids.subList(from, Math.min(ids.size(), from + IN_CHUNK));
      try (var st = c.prepareStatement(select + " IN (" + placeholders(chunk.size()) + ")")) {
        for (int i = 0; i < chunk.size(); i++) {
          st.setString(i + 1, chunk.get(i));
        }
        try (var rs = st.executeQuery()) {
          while (rs.next()) {
            row.read(rs);
          }
        }
      }
    }
  }

  private static String placeholders(int n) {
    return String.join(", ", java.util.Collections.nCopies(n, "?"));
  }

  private static void insertEntries(Connection c, Collection<LedgerEntry> entries, long nowMillis)
      throws SQLException {
    try (var insert =
        c.prepareStatement(
            "INSERT INTO ledger (request_id, organization_id, api_key_id, user_id, model,"
                + " period_start, state, estimated_prompt_tokens, estimated_completion_tokens,"
                + " reserved_micros, prompt_tokens, completion_tokens, input_cost_micros,"
                + " output_cost_micros, created_at, finished_at, interrupted, lease_id)"
                + " VALUES (?, ?, ?, ?, ?, ?, 'S', 0, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      for (var e : entries) {
        var r = e.record();
        insert.setString(1, r.requestId());
        insert.setString(2, r.organizationId());
        insert.setString(3, r.apiKeyId());
        insert.setString(4, e.userId());
        insert.setString(5, r.model());
        insert.setLong(6, e.periodStart());
        insert.setLong(7, r.tokens().prompt());
        insert.setLong(8, r.tokens().completion());
        insert.setLong(9, e.cost().inputMicros());
        insert.setLong(10, e.cost().outputMicros());
        insert.setLong(11, nowMillis);
        insert.setLong(12, e.finishedAtMillis());
        insert.setBoolean(13, r.interrupted());
        if (r.leaseId().isEmpty()) {
          insert.setNull(14, Types.VARCHAR);
        } else {
          insert.setString(14, r.leaseId());
        }
        insert.addBatch();
      }
      try {
        insert.executeBatch();
      } catch (BatchUpdateException e) {
        // Surface the row's own failure (a duplicate request id) rather than the batch's.
        var cause = e.getNextException();
        throw cause != null && Jdbc.isUniqueViolation(cause) ? cause : e;
      }
    }
  }

  /** Charges usage to a lease (its budget row locked): the hold shrinks, floored at 0. */
  private static void chargeLease(Connection c, String leaseId, long costMicros)
      throws SQLException {
    long held;
    try (var select =
        c.prepareStatement(
            "SELECT held_micros, ended_at FROM budget_leases WHERE id = ? FOR UPDATE")) {
      select.setString(1, leaseId);
      try (var rs = select.executeQuery()) {
        if (!rs.next()) {
          return;
        }
        held = rs.getLong(2) == 0 ? rs.getLong(1) : 0;
      }
    }
    try (var update =
        c.prepareStatement(
            "UPDATE budget_leases SET held_micros = held_micros - ?,"
                + " spent_micros = spent_micros + ? WHERE id = ?")) {
      update.setLong(1, Math.min(held, costMicros));
      update.setLong(2, costMicros);
      update.setString(3, leaseId);
      update.executeUpdate();
    }
  }

  @Override
  public LeaseGrant lease(LeaseRequest q, long softLimitMicros, long hardLimitMicros) {
    var existing = replayLease(q, softLimitMicros, hardLimitMicros);
    if (existing.isPresent()) {
      return existing.get();
    }
    ensureBudget(q.organizationId(), q.periodStart());
    try {
      return jdbc.inTransaction(
          c -> {
            var budget = lockBudget(c, q.organizationId(), q.periodStart());
            long held = heldByLeases(c, q.organizationId(), q.periodStart(), q.nowMillis());
            long committed = budget.spent + budget.reserved + held;
            long grant = Math.max(0, Math.min(q.requestedMicros(), hardLimitMicros - committed));
            try (var insert =
                c.prepareStatement(
                    "INSERT INTO budget_leases (id, organization_id, period_start, holder,"
                        + " requested_micros, granted_micros, held_micros, created_at, expires_at)"
                        + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
              insert.setString(1, q.leaseId());
              insert.setString(2, q.organizationId());
              insert.setLong(3, q.periodStart());
              insert.setString(4, q.holder());
              insert.setLong(5, q.requestedMicros());
              insert.setLong(6, grant);
              insert.setLong(7, grant);
              insert.setLong(8, q.nowMillis());
              insert.setLong(9, q.expiresAtMillis());
              insert.executeUpdate();
            }
            return grant(
                grant, q.expiresAtMillis(), committed + grant, softLimitMicros, hardLimitMicros);
          });
    } catch (Jdbc.DuplicateKey e) {
      // A concurrent call with the same lease id won; report its grant.
      return replayLease(q, softLimitMicros, hardLimitMicros)
          .orElseThrow(() -> new IllegalStateException("Lease vanished", e));
    }
  }

  private Optional<LeaseGrant> replayLease(
      LeaseRequest q, long softLimitMicros, long hardLimitMicros) {
    return jdbc.autoCommit(
        c -> {
          try (var select =
              c.prepareStatement(
                  "SELECT organization_id, period_start, granted_micros, expires_at"
                      + " FROM budget_leases WHERE id = ?")) {
            select.setString(1, q.leaseId());
            try (var rs = select.executeQuery()) {
              if (!rs.next()) {
                return Optional.<LeaseGrant>empty();
              }
              if (!rs.getString(1).equals(q.organizationId())) {
                throw ConflictException.leaseId(q.leaseId());
              }
              var totals = totals(c, q.organizationId(), rs.getLong(2), q.nowMillis());
              return Optional.of(
                  grant(
                      rs.getLong(3),
                      rs.getLong(4),
                      totals.committedMicros(),
                      softLimitMicros,
                      hardLimitMicros));
            }
          }
        });
  }

  private static LeaseGrant grant(
      long granted, long expiresAt, long committed, long softLimitMicros, long hardLimitMicros) {
    return new LeaseGrant(
        false,
        granted,
        expiresAt,
        hardLimitMicros > 0 ? Math.max(0, hardLimitMicros - committed) : -1,
        softLimitMicros > 0 && committed >= softLimitMicros);
  }

  @Override
  public long returnLease(String leaseId, String organizationId, long nowMillis) {
    return jdbc.inTransaction(
        c -> {
          long period;
          try (var select =
              c.prepareStatement(
                  "SELECT organization_id, period_start FROM budget_leases WHERE id = ?")) {
            select.setString(1, leaseId);
            try (var rs = select.executeQuery()) {
              if (!rs.next() || !rs.getString(1).equals(organizationId)) {
                throw NotFoundException.lease(leaseId);
              }
              period = rs.getLong(2);
            }
          }
          lockBudget(c, organizationId, period);
          long returned;
          try (var select =
              c.prepareStatement(
                  "SELECT held_micros, expires_at, ended_at FROM budget_leases"
                      + " WHERE id = ? FOR UPDATE")) {
            select.setString(1, leaseId);
            try (var rs = select.executeQuery()) {
              if (!rs.next() || rs.getLong(3) != 0) {
                return 0L;
              }
              // An expired lease's hold went back when it expired.
              returned = rs.getLong(2) > nowMillis ? rs.getLong(1) : 0;
            }
          }
          endLease(c, leaseId, nowMillis);
          return returned;
        });
  }

  private static void endLease(Connection c, String leaseId, long nowMillis) throws SQLException {
    try (var update =
        c.prepareStatement("UPDATE budget_leases SET held_micros = 0, ended_at = ? WHERE id = ?")) {
      update.setLong(1, Math.max(nowMillis, 1));
      update.setString(2, leaseId);
      update.executeUpdate();
    }
  }

  @Override
  public int endExpiredLeases(long nowMillis) {
    // Expired holds already stopped counting (see heldByLeases); this records that they ended.
    return jdbc.inTransaction(
        c -> {
          try (var update =
              c.prepareStatement(
                  "UPDATE budget_leases SET held_micros = 0, ended_at = ?"
                      + " WHERE ended_at = 0 AND expires_at <= ?")) {
            update.setLong(1, Math.max(nowMillis, 1));
            update.setLong(2, nowMillis);
            return update.executeUpdate();
          }
        });
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
  public BudgetTotals totals(String organizationId, long periodStart, long nowMillis) {
    return jdbc.autoCommit(c -> totals(c, organizationId, periodStart, nowMillis));
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

  /** One budget row's key, ordered as the rows are locked. */
  private record BudgetKey(String organizationId, long periodStart)
      implements Comparable<BudgetKey> {
    @Override
    public int compareTo(BudgetKey other) {
      int c = organizationId.compareTo(other.organizationId);
      return c != 0 ? c : Long.compare(periodStart, other.periodStart);
    }
  }

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

  private static BudgetTotals totals(
      Connection c, String organizationId, long periodStart, long nowMillis) throws SQLException {
    try (var select =
        c.prepareStatement(
            "SELECT spent_micros, reserved_micros FROM budgets"
                + " WHERE organization_id = ? AND period_start = ?")) {
      select.setString(1, organizationId);
      select.setLong(2, periodStart);
      try (var rs = select.executeQuery()) {
        if (!rs.next()) {
          return BudgetTotals.ZERO;
        }
        return new BudgetTotals(
            rs.getLong(1), rs.getLong(2), heldByLeases(c, organizationId, periodStart, nowMillis));
      }
    }
  }

  /**
   * What the live leases of one budget hold: not returned and not expired at {@code nowMillis}. An
   * expired lease stops counting at once; the sweep only records that it ended.
   */
  private static long heldByLeases(
      Connection c, String organizationId, long periodStart, long nowMillis) throws SQLException {
    try (var select =
        c.prepareStatement(
            "SELECT COALESCE(SUM(held_micros), 0) FROM budget_leases"
                + " WHERE organization_id = ? AND period_start = ? AND ended_at = 0"
                + " AND expires_at > ?")) {
      select.setString(1, organizationId);
      select.setLong(2, periodStart);
      select.setLong(3, nowMillis);
      try (var rs = select.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0L;
      }
    }
  }
}
