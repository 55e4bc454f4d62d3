package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;
import io.parley.gateway.domain.BackendUnavailableException;
import io.parley.gateway.domain.QuotaExceededException;
import io.parley.gateway.domain.ServiceUnavailableException;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

/**
 * Budgets decided in memory: each organization's hard-limit budget is spent here from shares
 * (leases) this replica took from the usage service ({@code LeaseBudget}), so admitting a request
 * costs no call.
 *
 * <ul>
 *   <li><b>Cost.</b> The price of the estimate (prompt + worst-case completion) from the ledger's
 *       price table ({@code GetPrices}, refreshed every {@code
 *       parley.gateway.usage.prices-refresh-ms}).
 *   <li><b>Unlimited organizations</b> (no hard limit: the lease answer says so) are remembered as
 *       such for {@code parley.gateway.usage.unlimited-recheck-seconds} and admitted with no call
 *       and no pricing.
 *   <li><b>Leases.</b> A request takes its cost from the organization's current lease; when that is
 *       short, one call asks for {@code max(cost, cost × chunk-multiple, chunk-micros)}. At most
 *       one {@code LeaseBudget} call per organization is in flight: concurrent admissions wait for
 *       its answer instead of calling too. A grant that still does not cover the cost refuses the
 *       request ({@link QuotaExceededException}, 429 {@code insufficient_quota}); a grant smaller
 *       than asked means the budget is nearly spent, and shortfalls are then refused without a call
 *       for {@code parley.gateway.usage.refused-recheck-ms}. When a request ends, its estimated
 *       cost minus its actual cost goes back to the lease it came from.
 *   <li><b>Renewal.</b> A lease stops taking requests shortly before it expires (a third of its
 *       life or {@code parley.gateway.usage.lease-renew-margin-ms} before, whichever is sooner); an
 *       organization that used it recently gets a new one at once. A retired lease is returned
 *       ({@code ReturnLease}) when every request admitted against it has ended and its usage is in
 *       the ledger, so the ledger charges that usage against the lease's hold, never beside it. At
 *       shutdown the leases without pending usage are returned; the others lapse at their expiry.
 *   <li><b>Bound.</b> The usage service never grants more than the hard limit minus spent and held,
 *       and this replica never admits past what it was granted, so leases never overshoot a hard
 *       limit. The price of that: a replica may refuse a request while another replica holds unused
 *       budget, by at most one chunk per other replica (until that lease is used, returned or
 *       lapses).
 *   <li><b>Outage credit.</b> When {@code LeaseBudget} fails because the usage service is
 *       unavailable and {@code parley.gateway.usage.outage-credit} is on, requests are admitted
 *       against a credit of {@code parley.gateway.usage.outage-credit-micros} per organization and
 *       replica, spent like a lease without a lease id (their usage reaches the ledger through the
 *       outbox when the service is back). The credit is whole again after the next successful lease
 *       call, so one outage costs an organization at most that much per replica beyond its limit.
 *       Past the credit, or with the credit off, requests get 503. For {@code refused-recheck-ms}
 *       after a failure the credit is used without trying the service again.
 * </ul>
 *
 * <p>Without a usage service every request is admitted and nothing is charged.
 */
@ApplicationScoped
public class BudgetLeases {

  private static final System.Logger LOG = System.getLogger(BudgetLeases.class.getName());

  /**
   * How budgets are leased.
   *
   * @param chunkMicros least micro-dollars asked for in one lease
   * @param chunkMultiple a lease asks for at least this many times the cost of the request that
   *     needs it
   * @param unlimitedRecheckMillis how long an organization without a hard limit is admitted without
   *     asking again
   * @param refusedRecheckMillis how long, after a short grant or an unavailable service, shortfalls
   *     are decided without a call
   * @param renewMarginMillis how long before its expiry a lease is retired (at most a third of its
   *     life)
   * @param pricesRefreshMillis how often the price table is read again
   * @param outageCredit whether requests are admitted on credit while the usage service is down
   * @param outageCreditMicros credit per organization for one outage
   * @param retryAfterSeconds {@code retry-after} of the 503s
   * @param holder this replica's name in the leases
   */
  public record Settings(
      long chunkMicros,
      long chunkMultiple,
      long unlimitedRecheckMillis,
      long refusedRecheckMillis,
      long renewMarginMillis,
      long pricesRefreshMillis,
      boolean outageCredit,
      long outageCreditMicros,
      int retryAfterSeconds,
      String holder) {}

  /** What a request was charged; give it back to {@link #settle} when the request ends. */
  public static final class Charge {
    private final String organization;
    private final String model;
    private final long micros;
    private final Lease lease;
    private final boolean credit;

    private Charge(String organization, String model, long micros, Lease lease, boolean credit) {
      this.organization = organization;
      this.model = model;
      this.micros = micros;
      this.lease = lease;
      this.credit = credit;
    }

    /** The lease the request was admitted against; empty for none (unlimited, credit, no usage). */
    public String leaseId() {
      return lease == null ? "" : lease.id;
    }

    /** Micro-dollars taken up front (0 when nothing was counted). */
    public long micros() {
      return micros;
    }

    /** Whether the request was admitted on outage credit. */
    public boolean credit() {
      return credit;
    }
  }

  private enum Outcome {
    GRANTED,
    SHORT,
    UNLIMITED,
    UNAVAILABLE,
    FAILED
  }

  private static final class Lease {
    final String id;
    final long expiresAtMillis;
    final long retireAtMillis;
    long remaining;
    int inFlight;
    boolean retired;

    Lease(String id, long granted, long expiresAtMillis, long retireAtMillis) {
      this.id = id;
      this.remaining = granted;
      this.expiresAtMillis = expiresAtMillis;
      this.retireAtMillis = retireAtMillis;
    }
  }

  /** One organization's state; every field is guarded by the instance's monitor. */
  private static final class Org {
    final String id;
    Lease current;
    final List<Lease> retired = new ArrayList<>();
    CompletableFuture<Outcome> pending;
    Outcome last = Outcome.FAILED;
    long lastUntilNanos;
    volatile long unlimitedUntilNanos;
    volatile boolean unlimited;
    long lastUsedNanos;
    long creditHeld;
    long creditSpent;

    Org(String id) {
      this.id = id;
    }
  }

  private UsageBackend usage;
  private UsageOutbox outbox;
  private Settings settings;
  private LongSupplier nanos;
  private LongSupplier wallMillis;
  private ScheduledExecutorService executor;
  private final Map<String, Org> orgs = new ConcurrentHashMap<>();
  private volatile PriceTable prices;
  private volatile long pricesUntilNanos;
  private final Object pricesLock = new Object();

  /** For CDI proxies. */
  protected BudgetLeases() {}

  @Inject
  public BudgetLeases(
      UsageBackend usage,
      UsageOutbox outbox,
      @ConfigProperty(name = "parley.gateway.usage.lease-chunk-micros") long chunkMicros,
      @ConfigProperty(name = "parley.gateway.usage.lease-chunk-multiple") long chunkMultiple,
      @ConfigProperty(name = "parley.gateway.usage.unlimited-recheck-seconds")
          long unlimitedRecheckSeconds,
      @ConfigProperty(name = "parley.gateway.usage.refused-recheck-ms") long refusedRecheckMillis,
      @ConfigProperty(name = "parley.gateway.usage.lease-renew-margin-ms") long renewMarginMillis,
      @ConfigProperty(name = "parley.gateway.usage.prices-refresh-ms") long pricesRefreshMillis,
      @ConfigProperty(name = "parley.gateway.usage.outage-credit") boolean outageCredit,
      @ConfigProperty(name = "parley.gateway.usage.outage-credit-micros") long outageCreditMicros,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds,
      @ConfigProperty(name = "parley.gateway.replica") Optional<String> replica) {
    this(
        usage,
        outbox,
        new Settings(
            chunkMicros,
            chunkMultiple,
            unlimitedRecheckSeconds * 1000,
            refusedRecheckMillis,
            renewMarginMillis,
            pricesRefreshMillis,
            outageCredit,
            outageCreditMicros,
            retryAfterSeconds,
            replica
                .filter(r -> !r.isBlank())
                .or(() -> Optional.ofNullable(System.getenv("HOSTNAME")))
                .orElse("gateway")),
        System::nanoTime,
        System::currentTimeMillis,
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("parley-budget").daemon().factory()));
  }

  /**
   * @param usage the usage service
   * @param outbox tells when the usage of a retired lease is in the ledger
   * @param settings how budgets are leased
   * @param nanos monotonic clock
   * @param wallMillis the clock lease expiries are in
   * @param executor runs renewals, returns and price refreshes (once a second); {@code null} for
   *     none ({@link #tick()} is then called by the owner)
   */
  public BudgetLeases(
      UsageBackend usage,
      UsageOutbox outbox,
      Settings settings,
      LongSupplier nanos,
      LongSupplier wallMillis,
      ScheduledExecutorService executor) {
    this.usage = usage;
    this.outbox = outbox;
    this.settings = settings;
    this.nanos = nanos;
    this.wallMillis = wallMillis;
    this.executor = executor;
    if (executor != null) {
      executor.scheduleWithFixedDelay(this::tickQuietly, 1, 1, TimeUnit.SECONDS);
    }
  }

  /** Whether budgets are charged (a usage service is configured). */
  public boolean enabled() {
    return usage.enabled();
  }

  /**
   * Takes the cost of a request's estimate from its organization's budget.
   *
   * @throws QuotaExceededException when the organization's budget cannot cover it
   * @throws ServiceUnavailableException when the usage service is down and the outage credit cannot
   *     cover it (or is off), or the prices were never read
   */
  public Charge charge(String organization, String model, TokenUsage estimate) {
    if (!enabled()) {
      return new Charge(organization, model, 0, null, false);
    }
    var org = orgs.computeIfAbsent(organization, Org::new);
    if (org.unlimited && org.unlimitedUntilNanos - nanos.getAsLong() > 0) {
      return new Charge(organization, model, 0, null, false);
    }
    long cost = prices().cost(model, estimate);
    while (true) {
      CompletableFuture<Outcome> call;
      boolean lead = false;
      synchronized (org) {
        long now = nanos.getAsLong();
        if (org.unlimited && org.unlimitedUntilNanos - now > 0) {
          return new Charge(organization, model, 0, null, false);
        }
        var lease = org.current;
        if (lease != null && wallMillis.getAsLong() >= lease.retireAtMillis) {
          // Close to its expiry and not yet retired by the housekeeping: no more admissions on it.
          retire(org);
          lease = null;
        }
        if (lease != null && lease.remaining >= cost) {
          lease.remaining -= cost;
          lease.inFlight++;
          org.lastUsedNanos = now;
          return new Charge(organization, model, cost, lease, false);
        }
        boolean recent = org.lastUntilNanos - now > 0;
        if (org.pending != null) {
          call = org.pending;
        } else if (recent && org.last == Outcome.SHORT) {
          throw new QuotaExceededException();
        } else if (recent && org.last == Outcome.UNAVAILABLE) {
          return onCredit(org, model, cost);
        } else {
          call = org.pending = new CompletableFuture<>();
          lead = true;
        }
      }
      if (lead) {
        long ask = Math.max(settings.chunkMicros, Math.max(cost, saturatingTimes(cost)));
        lease(org, ask, call);
      } else {
        call.join();
      }
    }
  }

  /**
   * A request ended: what its estimate cost beyond what it used goes back to where it came from.
   *
   * @param actual the tokens it used
   */
  public void settle(Charge charge, TokenUsage actual) {
    if (charge.lease == null && !charge.credit) {
      return;
    }
    long used = Math.min(charge.micros, prices().cost(charge.model, actual));
    var org = orgs.get(charge.organization);
    if (org == null) {
      return;
    }
    synchronized (org) {
      if (charge.credit) {
        org.creditHeld -= charge.micros;
        org.creditSpent += used;
      } else {
        charge.lease.inFlight--;
        // A retired lease admits nothing more: what it still holds goes back with ReturnLease.
        if (!charge.lease.retired) {
          charge.lease.remaining += charge.micros - used;
        }
      }
    }
  }

  private Charge onCredit(Org org, String model, long cost) {
    if (!settings.outageCredit) {
      throw ServiceUnavailableException.usage(settings.retryAfterSeconds);
    }
    if (settings.outageCreditMicros - org.creditHeld - org.creditSpent < cost) {
      throw ServiceUnavailableException.usage(settings.retryAfterSeconds);
    }
    org.creditHeld += cost;
    return new Charge(org.id, model, cost, null, true);
  }

  private long saturatingTimes(long cost) {
    try {
      return Math.multiplyExact(cost, Math.max(1, settings.chunkMultiple));
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  /** The one LeaseBudget call of an organization; completes {@code call} with its outcome. */
  private void lease(Org org, long ask, CompletableFuture<Outcome> call) {
    var outcome = Outcome.FAILED;
    RuntimeException failure = null;
    String leaseId = "lease_" + UUID.randomUUID().toString().replace("-", "");
    try {
      var granted = usage.leaseBudget(org.id, leaseId, settings.holder, ask);
      long now = nanos.getAsLong();
      synchronized (org) {
        org.creditSpent = 0;
        if (granted.getUnlimited()) {
          org.unlimited = true;
          org.unlimitedUntilNanos = now + settings.unlimitedRecheckMillis * 1_000_000;
          retire(org);
          outcome = Outcome.UNLIMITED;
        } else {
          org.unlimited = false;
          long grant = Math.max(0, granted.getGrantedMicros());
          if (grant > 0) {
            retire(org);
            long wall = wallMillis.getAsLong();
            long expires = granted.getExpiresAtMs() > 0 ? granted.getExpiresAtMs() : Long.MAX_VALUE;
            long margin = Math.min(settings.renewMarginMillis, Math.max(0, expires - wall) / 3);
            org.current = new Lease(leaseId, grant, expires, expires - margin);
          }
          outcome = grant >= ask ? Outcome.GRANTED : Outcome.SHORT;
        }
      }
    } catch (QuotaExceededException e) {
      outcome = Outcome.SHORT;
    } catch (ServiceUnavailableException
        | BackendUnavailableException
        | CircuitBreakerOpenException
        | TimeoutException e) {
      LOG.log(System.Logger.Level.DEBUG, "LeaseBudget failed for " + org.id + ": " + e);
      outcome = Outcome.UNAVAILABLE;
    } catch (RuntimeException e) {
      failure = e;
    } finally {
      synchronized (org) {
        org.pending = null;
        org.last = outcome;
        org.lastUntilNanos = nanos.getAsLong() + settings.refusedRecheckMillis * 1_000_000;
      }
      call.complete(outcome);
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Moves the current lease to the retired ones (guarded by the organization's monitor). */
  private static void retire(Org org) {
    if (org.current != null) {
      org.current.retired = true;
      org.retired.add(org.current);
      org.current = null;
    }
  }

  private PriceTable prices() {
    var table = prices;
    if (table != null) {
      return table;
    }
    synchronized (pricesLock) {
      if (prices == null) {
        try {
          refreshPrices();
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.WARNING, "GetPrices failed: " + e);
          throw ServiceUnavailableException.usage(settings.retryAfterSeconds);
        }
      }
      return prices;
    }
  }

  private void refreshPrices() {
    prices = PriceTable.of(usage.prices());
    pricesUntilNanos = nanos.getAsLong() + settings.pricesRefreshMillis * 1_000_000;
  }

  private void tickQuietly() {
    try {
      tick();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "budget housekeeping failed", e);
    }
  }

  /**
   * Housekeeping, once a second: refreshes the prices when due, retires leases close to their
   * expiry (taking a new one for organizations that used theirs recently) and returns retired
   * leases whose usage is all in the ledger.
   */
  public void tick() {
    if (!enabled()) {
      return;
    }
    long now = nanos.getAsLong();
    if (prices != null && now - pricesUntilNanos >= 0) {
      try {
        refreshPrices();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, "GetPrices failed, keeping the last table: " + e);
      }
    }
    long wall = wallMillis.getAsLong();
    for (var org : orgs.values()) {
      boolean renew = false;
      List<Lease> toReturn = new ArrayList<>();
      synchronized (org) {
        var lease = org.current;
        if (lease != null && wall >= lease.retireAtMillis) {
          retire(org);
          renew =
              org.pending == null
                  && now - org.lastUsedNanos < settings.renewMarginMillis * 1_000_000;
        }
        for (var it = org.retired.iterator(); it.hasNext(); ) {
          var retired = it.next();
          if (wall >= retired.expiresAtMillis) {
            it.remove(); // lapsed: the usage service took its hold back
          } else if (retired.inFlight == 0 && outbox.unrecorded(retired.id) == 0) {
            it.remove();
            toReturn.add(retired);
          }
        }
        if (renew) {
          org.pending = new CompletableFuture<>();
        }
      }
      for (var lease : toReturn) {
        giveBack(org, lease);
      }
      if (renew) {
        CompletableFuture<Outcome> call;
        synchronized (org) {
          call = org.pending;
        }
        lease(org, settings.chunkMicros, call);
      }
    }
  }

  private void giveBack(Org org, Lease lease) {
    try {
      usage.returnLease(org.id, lease.id);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "ReturnLease " + lease.id + " failed: " + e);
      if (wallMillis.getAsLong() < lease.expiresAtMillis) {
        synchronized (org) {
          org.retired.add(lease); // tried again on the next tick
        }
      }
    }
  }

  /**
   * Stops the housekeeping and returns the leases whose usage is all in the ledger; the others
   * lapse at their expiry.
   */
  @PreDestroy
  void stop() {
    if (executor != null) {
      executor.shutdownNow();
    }
    if (!enabled()) {
      return;
    }
    for (var org : orgs.values()) {
      List<Lease> toReturn = new ArrayList<>();
      synchronized (org) {
        retire(org);
        for (var it = org.retired.iterator(); it.hasNext(); ) {
          var lease = it.next();
          if (lease.inFlight == 0 && outbox.unrecorded(lease.id) == 0) {
            it.remove();
            toReturn.add(lease);
          }
        }
      }
      for (var lease : toReturn) {
        try {
          usage.returnLease(org.id, lease.id);
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.INFO, "lease " + lease.id + " left to lapse: " + e);
        }
      }
    }
  }
}
