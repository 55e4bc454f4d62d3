package io.parley.usage.application;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.persistence.Database;
import io.parley.usage.domain.TokenCounts;
import io.parley.usage.domain.UsageRecord;
import io.parley.usage.testsupport.Stack;
import io.parley.usage.testsupport.TestDatabases;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The batched ledger on PostgreSQL; also prints one RecordUsage of 500 records against 500 Settle
 * calls (a measurement, not asserted).
 */
class BatchedLedgerPostgresTest extends BatchedLedgerContract {

  private String schema;

  @Override
  Database openDatabase() {
    schema = TestDatabases.newSchema();
    return TestDatabases.postgres(schema, 10);
  }

  @Override
  void closeDatabase(Database database) {
    database.close();
    TestDatabases.dropSchema(schema);
  }

  @Test
  void measurement_oneRecordUsageOf500_against500Settles() {
    var schema = TestDatabases.newSchema();
    try (var database = TestDatabases.postgres(schema, 4)) {
      var stack = Stack.over(database, Clock.systemUTC(), Optional.empty(), n -> {});
      var owner = stack.accounts().createOrganization("Bench", "bench@acme.test");
      var org = owner.organization().id();
      var key = stack.accounts().createApiKey(org, owner.ownerUserId(), "k", 0).info().id();
      var tokens = new TokenCounts(20, 10);
      int n = 500;
      for (int round = 0; round < 3; round++) {
        var prefix = "m" + round + "-";
        for (int i = 0; i < n; i++) {
          stack.ledger().reserve(prefix + "s" + i, org, key, "m", tokens);
        }
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
          stack.ledger().settle(prefix + "s" + i, tokens, "", "", "");
        }
        long settles = System.nanoTime() - t0;
        var records = new ArrayList<UsageRecord>(n);
        for (int i = 0; i < n; i++) {
          records.add(new UsageRecord(prefix + "r" + i, org, key, "m", tokens, "", 0, false));
        }
        long t1 = System.nanoTime();
        var batch = stack.ledger().recordUsage(records);
        long recorded = System.nanoTime() - t1;
        assertThat(batch.outcomes()).hasSize(n);
        System.out.printf(
            "ledger on PostgreSQL, round %d: %d Settle calls %.1f ms (%.2f ms each);"
                + " one RecordUsage of %d records %.1f ms (%.3f ms per record); ratio %.1f×%n",
            round,
            n,
            settles / 1e6,
            settles / 1e6 / n,
            n,
            recorded / 1e6,
            recorded / 1e6 / n,
            (double) settles / recorded);
      }
    } finally {
      TestDatabases.dropSchema(schema);
    }
  }
}
