package io.parley.usage.application;

import io.parley.usage.domain.AccountRepository;
import io.parley.usage.domain.Budget;
import io.parley.usage.domain.InvalidUsageRequestException;
import io.parley.usage.domain.LedgerRepository;
import io.parley.usage.domain.NotFoundException;
import io.parley.usage.domain.Notification;
import io.parley.usage.domain.PriceTable;
import io.parley.usage.domain.Reservation;
import io.parley.usage.domain.ReservationState;
import io.parley.usage.domain.ReserveOutcome;
import io.parley.usage.domain.SettleOutcome;
import io.parley.usage.domain.TokenCounts;
import io.parley.usage.domain.UnreservedUsage;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reserve, Settle and Release: the worst-case cost of a request is held against the organization's
 * monthly hard limit before it runs and replaced by the actual cost after, so the limit is never
 * passed by more than what one request used beyond its own reservation, whatever the number of
 * gateway or usage replicas.
 */
public final class LedgerService {

  private static final System.Logger LOG = System.getLogger(LedgerService.class.getName());
  private static final int MAX_REQUEST_ID = 128;
  private static final int KEY_OWNER_CACHE = 10_000;

  private final LedgerRepository ledger;
  private final AccountRepository accounts;
  private final PriceTable prices;
  private final NotificationSink sink;
  private final Clock clock;
  private final Map<String, String> keyOwners = new ConcurrentHashMap<>();

  public LedgerService(
      LedgerRepository ledger,
      AccountRepository accounts,
      PriceTable prices,
      NotificationSink sink,
      Clock clock) {
    this.ledger = ledger;
    this.accounts = accounts;
    this.prices = prices;
    this.sink = sink;
    this.clock = clock;
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

  /** The current period's spend against the limits. */
  public Budget budget(String organizationId) {
    AccountService.require(organizationId, "organization");
    if (accounts.organization(organizationId).isEmpty()) {
      throw NotFoundException.organization(organizationId);
    }
    var limits = accounts.limits(organizationId);
    long start = BillingPeriod.startOf(clock.instant());
    var totals = ledger.spentAndReserved(organizationId, start);
    return new Budget(
        start,
        BillingPeriod.endOf(start),
        totals[0],
        totals[1],
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
    AccountService.require(requestId, "request_id");
    if (requestId.length() > MAX_REQUEST_ID) {
      throw new InvalidUsageRequestException(
          "request_id must be at most " + MAX_REQUEST_ID + " characters.", "request_id");
    }
  }
}
