package io.parley.usage.infrastructure;

import io.parley.common.grpc.GrpcServerRunner;
import io.parley.persistence.Database;
import io.parley.usage.api.grpc.UsageCallers;
import io.parley.usage.api.grpc.UsageGrpcService;
import io.parley.usage.application.AccountService;
import io.parley.usage.application.LedgerService;
import io.parley.usage.application.NotificationSink;
import io.parley.usage.application.UsageReports;
import io.parley.usage.domain.LedgerRepository;
import io.parley.usage.infrastructure.config.UsageSettings;
import io.parley.usage.infrastructure.jdbc.JdbcAccountRepository;
import io.parley.usage.infrastructure.jdbc.JdbcLedgerRepository;
import io.parley.usage.infrastructure.jdbc.JdbcUsageRepository;
import io.parley.usage.infrastructure.jdbc.UsageDatabase;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The whole usage service wired together: database, use cases, gRPC server, the sweeper of stale
 * reservations and expired budget leases. Started by {@link UsageRuntime} in Liberty; usable on its
 * own (tests, benchmarks).
 */
public final class UsageServer implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(UsageServer.class.getName());

  private final Database database;
  private final AccountService accounts;
  private final LedgerService ledger;
  private final UsageReports reports;
  private final GrpcServerRunner grpc;
  private final ScheduledExecutorService sweeper;

  private UsageServer(UsageSettings settings, Clock clock) {
    database =
        UsageDatabase.open(
            settings.dbUrl(), settings.dbUser(), settings.dbPasswordFile(), settings.dbPoolSize());
    try {
      var accountRepository = new JdbcAccountRepository(database.jdbc(), settings.defaultLimits());
      LedgerRepository ledgerRepository =
          new TimedLedgerRepository(new JdbcLedgerRepository(database.jdbc()));
      NotificationSink sink =
          settings
              .softLimitWebhook()
              .<NotificationSink>map(
                  url -> new WebhookNotificationSink(url, ledgerRepository, clock))
              .orElse(NotificationSink.NONE);
      accounts =
          new AccountService(
              accountRepository,
              clock,
              settings.bootstrapKeyFile(),
              settings.bootstrapOrganizationName(),
              settings.bootstrapOwnerEmail(),
              settings.defaultPolicy(),
              settings.inviteTtl());
      accounts.bootstrap();
      ledger =
          new LedgerService(
              ledgerRepository,
              accountRepository,
              settings.prices(),
              sink,
              clock,
              settings.leaseTtl());
      reports = new UsageReports(new JdbcUsageRepository(database.jdbc()), clock);
      grpc =
          new GrpcServerRunner(
              settings.grpcHost(),
              settings.grpcPort(),
              settings.security(),
              UsageCallers.POLICY,
              List.of(new UsageGrpcService(accounts, ledger, reports, clock)),
              List.of(),
              settings.lifetime(),
              false,
              settings.grpcEventLoops());
    } catch (RuntimeException e) {
      database.close();
      throw e;
    }
    sweeper =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("parley-usage-sweeper").daemon().unstarted(r));
    long every = Math.max(10, settings.reservationTtl().toSeconds() / 10);
    sweeper.scheduleWithFixedDelay(
        () -> {
          try {
            ledger.releaseStale(settings.reservationTtl());
          } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Stale reservation sweep failed", e);
          }
        },
        every,
        every,
        TimeUnit.SECONDS);
    // Expired leases stop counting against the budget at once; this records that they ended.
    long leaseEvery = Math.max(1, settings.leaseTtl().toSeconds() / 2);
    sweeper.scheduleWithFixedDelay(
        () -> {
          try {
            ledger.endExpiredLeases();
          } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "Expired lease sweep failed", e);
          }
        },
        leaseEvery,
        leaseEvery,
        TimeUnit.SECONDS);
  }

  /** Opens the database (migrating it), bootstraps and starts gRPC. */
  public static UsageServer start(UsageSettings settings, Clock clock) {
    return new UsageServer(settings, clock);
  }

  /** The bound gRPC port. */
  public int port() {
    return grpc.port();
  }

  /** Whether the database answers. */
  public boolean databaseHealthy() {
    return database.healthy(2);
  }

  /** Account use cases. */
  public AccountService accounts() {
    return accounts;
  }

  /** Ledger use cases. */
  public LedgerService ledger() {
    return ledger;
  }

  @Override
  public void close() {
    sweeper.shutdownNow();
    grpc.close();
    database.close();
  }
}
