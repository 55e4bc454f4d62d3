package io.parley.usage.testsupport;

import io.parley.persistence.Database;
import io.parley.usage.application.AccountService;
import io.parley.usage.application.LedgerService;
import io.parley.usage.application.NotificationSink;
import io.parley.usage.application.UsageReports;
import io.parley.usage.domain.Limits;
import io.parley.usage.domain.ModerationPolicy;
import io.parley.usage.domain.PriceTable;
import io.parley.usage.infrastructure.jdbc.JdbcAccountRepository;
import io.parley.usage.infrastructure.jdbc.JdbcLedgerRepository;
import io.parley.usage.infrastructure.jdbc.JdbcUsageRepository;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The use cases over one database, as one service replica would hold them.
 *
 * @param database the pool
 * @param accounts accounts
 * @param ledger ledger
 * @param reports reports
 */
public record Stack(
    Database database, AccountService accounts, LedgerService ledger, UsageReports reports) {

  /** Prices of the tests: "m" costs 1 micro-dollar per token in and 2 out (per 1M: 1e6 / 2e6). */
  public static final PriceTable PRICES =
      PriceTable.parse("m=1000000/2000000,free=0/0", "1000000/1000000");

  /** How long budget leases last in the tests. */
  public static final Duration LEASE_TTL = Duration.ofSeconds(60);

  /** A stack over {@code database}. */
  public static Stack over(
      Database database, Clock clock, Optional<Path> bootstrapKey, NotificationSink sink) {
    return over(database, clock, bootstrapKey, sink, Limits.NONE);
  }

  /** A stack over {@code database} whose new organizations start with {@code defaultLimits}. */
  public static Stack over(
      Database database,
      Clock clock,
      Optional<Path> bootstrapKey,
      NotificationSink sink,
      Limits defaultLimits) {
    var accountRepository = new JdbcAccountRepository(database.jdbc(), defaultLimits);
    var accounts =
        new AccountService(
            accountRepository,
            clock,
            bootstrapKey,
            "Default organization",
            "admin@localhost",
            new ModerationPolicy(false, false),
            Duration.ofDays(7));
    var ledger =
        new LedgerService(
            new JdbcLedgerRepository(database.jdbc()),
            accountRepository,
            PRICES,
            sink,
            clock,
            LEASE_TTL);
    return new Stack(
        database,
        accounts,
        ledger,
        new UsageReports(new JdbcUsageRepository(database.jdbc()), clock));
  }
}
