package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.infrastructure.UsageClient;
import io.parley.usage.v1.SettleRequest;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The gateway's side of the usage ledger. Every generation reserves its worst case before it runs
 * ({@code Reserve}, keyed by the request id) and afterwards settles what it actually used ({@code
 * Settle}) or releases the reservation when nothing ran ({@code Release}). Settle and Release run
 * off the request thread and are retried with backoff until the usage service acknowledges them;
 * the service keys both by request id, so a retry never counts twice. Only a refusal that no retry
 * can change (a 4xx answer) ends the retries. Pending calls live in memory: a gateway that dies
 * before the usage service answered leaves the reservation to the usage service's expiry.
 *
 * <p>Without a usage service every method does nothing.
 */
@ApplicationScoped
public class Metering {

  private static final Logger LOG = Logger.getLogger(Metering.class.getName());

  private static final long FIRST_BACKOFF_MILLIS = 200;
  private static final long MAX_BACKOFF_MILLIS = 30_000;

  private UsageClient usage;
  private ScheduledExecutorService executor;
  private final AtomicInteger pending = new AtomicInteger();

  /** For CDI proxies. */
  protected Metering() {}

  @Inject
  public Metering(UsageClient usage) {
    this(
        usage,
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("parley-metering").daemon().factory()));
  }

  /**
   * @param usage the usage service
   * @param executor runs settles and releases and their retries
   */
  public Metering(UsageClient usage, ScheduledExecutorService executor) {
    this.usage = usage;
    this.executor = executor;
  }

  /** Whether a usage service is configured. */
  public boolean enabled() {
    return usage != null && usage.enabled();
  }

  /**
   * Reserves the worst case of a request.
   *
   * @throws io.parley.gateway.domain.QuotaExceededException past the organization's hard limit
   */
  public void reserve(String requestId, Caller caller, String model, TokenEstimate estimate) {
    if (enabled()) {
      usage.reserve(requestId, caller.organization(), caller.apiKeyId(), model, estimate.toUsage());
    }
  }

  /** Settles a request with the tokens it used, in the background, until acknowledged. */
  public void settle(String requestId, Caller caller, String model, TokenUsage actual) {
    if (!enabled()) {
      return;
    }
    var request =
        SettleRequest.newBuilder()
            .setRequestId(requestId)
            .setActual(actual)
            .setOrganization(caller.organization())
            .setApiKeyId(caller.apiKeyId())
            .setModel(model)
            .build();
    submit(requestId, "Settle", () -> usage.settle(request), 0);
  }

  /** Releases the reservation of a request that used nothing, in the background. */
  public void release(String requestId) {
    if (enabled()) {
      submit(requestId, "Release", () -> usage.release(requestId), 0);
    }
  }

  /** Settles and releases not yet acknowledged. */
  public int pending() {
    return pending.get();
  }

  private void submit(String requestId, String what, Runnable call, int attempt) {
    if (attempt == 0) {
      pending.incrementAndGet();
    }
    long delay =
        attempt == 0
            ? 0
            : Math.min(MAX_BACKOFF_MILLIS, FIRST_BACKOFF_MILLIS << Math.min(attempt - 1, 20));
    try {
      executor.schedule(
          () -> attempt(requestId, what, call, attempt), delay, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      pending.decrementAndGet();
      LOG.warning(() -> requestId + ": " + what + " not sent: the gateway is stopping");
    }
  }

  private void attempt(String requestId, String what, Runnable call, int attempt) {
    try {
      call.run();
      pending.decrementAndGet();
    } catch (GatewayException e) {
      if (e.status() >= 400 && e.status() < 500 && e.status() != 429) {
        pending.decrementAndGet();
        LOG.warning(() -> requestId + ": " + what + " refused: " + e.getMessage());
        return;
      }
      retry(requestId, what, call, attempt, e);
    } catch (RuntimeException e) {
      retry(requestId, what, call, attempt, e);
    }
  }

  private void retry(
      String requestId, String what, Runnable call, int attempt, RuntimeException failure) {
    LOG.log(
        attempt == 0 ? Level.INFO : Level.FINE,
        requestId
            + ": "
            + what
            + " failed (attempt "
            + (attempt + 1)
            + "), will retry: "
            + failure);
    submit(requestId, what, call, attempt + 1);
  }

  /** Gives pending calls a few seconds, then stops. */
  @PreDestroy
  void stop() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (pending.get() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (pending.get() > 0) {
      LOG.warning(pending.get() + " settles were not acknowledged before shutdown");
    }
    executor.shutdownNow();
  }
}
