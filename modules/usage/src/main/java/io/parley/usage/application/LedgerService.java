package io.parley.usage.application;

import io.parley.usage.domain.AccountRepository;
import io.parley.usage.domain.Budget;
import io.parley.usage.domain.Inputs;
import io.parley.usage.domain.InvalidUsageRequestException;
import io.parley.usage.domain.LeaseGrant;
import io.parley.usage.domain.LeaseRequest;
import io.parley.usage.domain.LedgerEntry;
import io.parley.usage.domain.LedgerRepository;
import io.parley.usage.domain.NotFoundException;
import io.parley.usage.domain.Notification;
import io.parley.usage.domain.PriceTable;
import io.parley.usage.domain.RecordedBatch;
import io.parley.usage.domain.Reservation;
import io.parley.usage.domain.ReservationState;
import io.parley.usage.domain.ReserveOutcome;
import io.parley.usage.domain.SettleOutcome;
import io.parley.usage.domain.TokenCounts;
import io.parley.usage.domain.UnreservedUsage;
import io.parley.usage.domain.UsageRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reserve, Settle and Release: the worst-case cost of a request is held against the organization's
 * monthly hard limit before it runs and replaced by the actual cost after, so the limit is never
 * passed by more than what one request used beyond its own reservation, whatever the number of
 * gateway or usage replicas.
 *
 * <p>The batched path: a gateway replica leases a share of the remaining budget ({@link
 * #leaseBudget}), admits requests against it in memory, and reports finished requests in batches
 * ({@link #recordUsage}) that shrink the lease's hold as they are charged. Every hard-limit check
 * counts live lease holds, so spent + reserved + held never passes the hard limit through grants.
 */
public final class LedgerService {

  private static final System.Logger LOG = System.getLogger(LedgerService.class.getName());
  private static final int MAX_REQUEST_ID = 128;
  private static final int KEY_OWNER_CACHE = 10_000;

  /** Most records in one usage batch. */
  public static final int MAX_RECORDS = 1_000;

  /** Most micro-dollars one lease may ask for ($1,000,000). */
  public static final long MAX_LEASE_MICROS = 1_000_000_000_000L;

  /** How far a record's finish time may lie ahead of this service's clock (clock skew). */
  private static final long MAX_FUTURE_MILLIS = Duration.ofHours(1).toMillis();

  private final LedgerRepository ledger;
  private final AccountRepository accounts;
  private final PriceTable prices;
  private final NotificationSink sink;
  private final Clock clock;
  private final Duration leaseTtl;
  private final Map<String, String> keyOwners = new ConcurrentHashMap<>();

  public LedgerService(
      LedgerRepository ledger,
      AccountRepository accounts,
      PriceTable prices,
      NotificationSink sink,
      Clock clock,
      Duration leaseTtl) {
    this.ledger = ledger;
    this.accounts = accounts;
    this.prices = prices;
    this.sink = sink;
    this.clock = clock;
    this.leaseTtl = leaseTtl;
  }

  /**
   * Reserves the worst-case cost of a request.
   *
   * @throws io.parley.usage.domain.InsufficientQuotaException past the hard limit
   */
  public ReserveOutcome reserve(
      String requestId,
      String organizationId,
      String apiKeyId,
      String model,
      TokenCounts estimated) {
    requireRequestId(requestId);
    AccountService.require(organizationId, "organization");
    AccountService.require(model, "model");
    var limits = accounts.limits(organizationId);
    if (accounts.organization(organizationId).isEmpty()) {
      throw NotFoundException.organization(organizationId);
    }
    var keyId = apiKeyId == null ? "" : apiKeyId;
    long nowMs = clock.millis();
    var reservation =
        new Reservation(
            requestId,
            organizationId,
            keyId,
            userOf(keyId),
            model,
            estimated,
            prices.priceOf(model).cost(estimated),
            BillingPeriod.startOf(clock.instant()),
            nowMs);
    var outcome = ledger.reserve(reservation, limits.softLimitMicros(), limits.hardLimitMicros());
    outcome.notification().ifPresent(this::deliver);
    return outcome;
  }

  /**
   * Settles a request with its actual tokens; idempotent. A request never reserved is recorded as
   * is when its organization, key and model are given.
   */
  public SettleOutcome settle(
      String requestId, TokenCounts actual, String organizationId, String apiKeyId, String model) {
    requireRequestId(requestId);
    Optional<UnreservedUsage> unreserved = Optional.empty();
    String billed = organizationId;
    if (organizationId != null && !organizationId.isBlank()) {
      AccountService.require(model, "model");
      var keyId = apiKeyId == null ? "" : apiKeyId;
      unreserved =
          Optional.of(
              new UnreservedUsage(
                  organizationId,
                  keyId,
                  userOf(keyId),
                  model,
                  BillingPeriod.startOf(clock.instant())));
    } else {
      billed = ledger.organizationOf(requestId).orElse("");
    }
    long soft = billed.isEmpty() ? 0 : accounts.limits(billed).softLimitMicros();
    var outcome =
        ledger.settle(
            requestId,
            actual,
            m -> prices.priceOf(m).cost(actual),
            unreserved,
            soft,
            clock.millis());
    outcome.notification().ifPresent(this::deliver);
    return outcome;
  }

  /** Releases a reservation; idempotent. */
  public ReservationState release(String requestId) {
    requireRequestId(requestId);
    return ledger.release(requestId, clock.millis());
  }

  /**
   * Records the usage of finished requests in one transaction; idempotent by request id. Every
   * record is checked before anything is written (a bad one refuses the batch, with {@code param}
   * naming it, e.g. {@code records[3].model}).
   *
   * @throws io.parley.usage.domain.ConflictException when a request id belongs to another
   *     organization (nothing is recorded; {@code param} names the record)
   */
  public RecordedBatch recordUsage(List<UsageRecord> records) {
    if (records.size() > MAX_RECORDS) {
      throw new InvalidUsageRequestException(
          "At most " + MAX_RECORDS + " records may be sent at once.", "records");
    }
    long now = clock.millis();
    var entries = new ArrayList<LedgerEntry>(records.size());
    var softLimits = new HashMap<String, Long>();
    for (int i = 0; i < records.size(); i++) {
      var r = records.get(i);
      var at = "records[" + i + "].";
      requireRequestId(r.requestId(), at + "request_id");
      var organizationId = Inputs.id(r.organizationId(), at + "organization");
      var keyId = r.apiKeyId().isEmpty() ? "" : Inputs.id(r.apiKeyId(), at + "api_key_id");
      var leaseId = r.leaseId().isEmpty() ? "" : Inputs.id(r.leaseId(), at + "lease_id");
      requireModel(r.model(), at + "model");
      if (r.finishedAtMillis() < 0 || r.finishedAtMillis() > now + MAX_FUTURE_MILLIS) {
        throw new InvalidUsageRequestException(
            "finished_at_ms must be a time in milliseconds since the epoch, not in the future.",
            at + "finished_at_ms");
      }
      long finished = r.finishedAtMillis() == 0 ? now : r.finishedAtMillis();
      var record =
          new UsageRecord(
              r.requestId(),
              organizationId,
              keyId,
              r.model(),
              r.tokens(),
              leaseId,
              finished,
              r.interrupted());
      entries.add(
          new LedgerEntry(
              record,
              userOf(keyId),
              prices.priceOf(r.model()).cost(r.tokens()),
              BillingPeriod.startOf(Instant.ofEpochMilli(finished)),
              finished));
      softLimits.computeIfAbsent(organizationId, o -> accounts.limits(o).softLimitMicros());
    }
    var batch = ledger.record(entries, softLimits, now);
    batch.notifications().forEach(this::deliver);
    return batch;
  }

  /**
   * Grants a gateway replica a share of an organization's remaining hard-limit budget, held until
   * it is returned or the lease expires ({@code parley.usage.lease-ttl-s}); idempotent by lease id.
   * An organization without a hard limit gets {@link LeaseGrant#UNLIMITED} and nothing is held.
   */
  public LeaseGrant leaseBudget(
      String organizationId, String leaseId, String holder, long requestedMicros) {
    Inputs.id(organizationId, "organization");
    Inputs.id(leaseId, "lease_id");
    var holderName = Inputs.name(holder, "holder");
    if (holderName.length() > Inputs.MAX_ID) {
      throw new InvalidUsageRequestException(
          "holder must be at most " + Inputs.MAX_ID + " characters.", "holder");
    }
    if (requestedMicros <= 0 || requestedMicros > MAX_LEASE_MICROS) {
      throw new InvalidUsageRequestException(
          "requested_micros must be between 1 and " + MAX_LEASE_MICROS + ".", "requested_micros");
    }
    if (accounts.organization(organizationId).isEmpty()) {
      throw NotFoundException.organization(organizationId);
    }
    var limits = accounts.limits(organizationId);
    if (limits.hardLimitMicros() <= 0) {
      return LeaseGrant.UNLIMITED;
    }
    var now = clock.instant();
    return ledger.lease(
        new LeaseRequest(
            leaseId,
            organizationId,
            holderName,
            requestedMicros,
            BillingPeriod.startOf(now),
            now.toEpochMilli(),
            now.toEpochMilli() + leaseTtl.toMillis()),
        limits.softLimitMicros(),
        limits.hardLimitMicros());
  }

  /**
   * Ends a lease; what it still holds goes back to the budget. Idempotent (a second call returns
   * 0).
   *
   * @return micro-dollars that went back
   * @throws NotFoundException when the organization has no such lease
   */
  public long returnLease(String leaseId, String organizationId) {
    Inputs.id(leaseId, "lease_id");
    Inputs.id(organizationId, "organization");
    return ledger.returnLease(leaseId, organizationId, clock.millis());
  }

  /** Ends the leases that have expired; returns how many. */
  public int endExpiredLeases() {
    int ended = ledger.endExpiredLeases(clock.millis());
    if (ended > 0) {
      LOG.log(System.Logger.Level.INFO, "Ended {0} expired budget leases", ended);
    }
    return ended;
  }

  /** The price table the ledger charges with. */
  public PriceTable prices() {
    return prices;
  }

  /** The current period's spend against the limits. */
  public Budget budget(String organizationId) {
    AccountService.require(organizationId, "organization");
    if (accounts.organization(organizationId).isEmpty()) {
      throw NotFoundException.organization(organizationId);
    }
    var limits = accounts.limits(organizationId);
    var now = clock.instant();
    long start = BillingPeriod.startOf(now);
    var totals = ledger.totals(organizationId, start, now.toEpochMilli());
    return new Budget(
        start,
        BillingPeriod.endOf(start),
        totals.spentMicros(),
        totals.reservedMicros(),
        totals.heldMicros(),
        limits.softLimitMicros(),
        limits.hardLimitMicros(),
        ledger.softLimitReachedAt(organizationId, start));
  }

  /** Notifications of an organization, newest first. */
  public List<Notification> notifications(String organizationId) {
    AccountService.require(organizationId, "organization");
    return ledger.notifications(organizationId);
  }

  /** Releases reservations older than {@code ttl}; returns how many. */
  public int releaseStale(Duration ttl) {
    int released = 0;
    for (var id : ledger.staleReservations(clock.millis() - ttl.toMillis(), 500)) {
      if (ledger.release(id, clock.millis()) == ReservationState.RELEASED) {
        released++;
      }
    }
    if (released > 0) {
      LOG.log(System.Logger.Level.INFO, "Released {0} stale reservations", released);
    }
    return released;
  }

  private String userOf(String apiKeyId) {
    if (apiKeyId.isEmpty()) {
      return "";
    }
    var cached = keyOwners.get(apiKeyId);
    if (cached != null) {
      return cached;
    }
    var owner = accounts.apiKey(apiKeyId).map(k -> k.userId()).orElse("");
    if (!owner.isEmpty() && keyOwners.size() < KEY_OWNER_CACHE) {
      keyOwners.put(apiKeyId, owner);
    }
    return owner;
  }

  private void deliver(Notification notification) {
    try {
      sink.deliver(notification);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Notification delivery failed", e);
    }
  }

  private static void requireRequestId(String requestId) {
    requireRequestId(requestId, "request_id");
  }

  private static void requireRequestId(String requestId, String param) {
    AccountService.require(requestId, param);
    if (requestId.length() > MAX_REQUEST_ID) {
      throw new InvalidUsageRequestException(
          param + " must be at most " + MAX_REQUEST_ID + " characters.", param);
    }
  }

  private static void requireModel(String model, String param) {
    AccountService.require(model, param);
    if (model.length() > Inputs.MAX_MODEL) {
      throw new InvalidUsageRequestException(
          param + " must be at most " + Inputs.MAX_MODEL + " characters.", param);
    }
  }
}
