package io.parley.common.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the calls a gRPC server accepts, per method, and logs what an operator needs to follow a
 * rollout: the first call this server received (when a new replica joined the rotation) and the
 * calls it served, once a minute while they change and when the server stops. Logging on stop alone
 * is not enough: when the JVM exits on SIGTERM, java.util.logging may already be shut down by the
 * time the server stops. Health checks are not counted.
 */
final class CallTally implements ServerInterceptor, AutoCloseable {

  /** How often the totals are logged while they change. */
  static final long REPORT_SECONDS = 60;

  private static final System.Logger LOG = System.getLogger(CallTally.class.getName());

  private final long startedNanos = System.nanoTime();
  private final AtomicBoolean first = new AtomicBoolean();
  private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
  private final ScheduledExecutorService reporter =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().name("parley-grpc-call-tally").daemon().factory());
  private long reported;

  CallTally() {
    reporter.scheduleWithFixedDelay(
        this::logIfChanged, REPORT_SECONDS, REPORT_SECONDS, TimeUnit.SECONDS);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    var method = call.getMethodDescriptor().getFullMethodName();
    calls.computeIfAbsent(method, m -> new LongAdder()).increment();
    if (first.compareAndSet(false, true)) {
      LOG.log(
          System.Logger.Level.INFO,
          "First gRPC call: {0}, {1} ms after the server started",
          method,
          Long.toString((System.nanoTime() - startedNanos) / 1_000_000));
    }
    return next.startCall(call, headers);
  }

  /** Calls accepted so far, per full method name. */
  Map<String, Long> counts() {
    var counts = new TreeMap<String, Long>();
    calls.forEach((method, count) -> counts.put(method, count.sum()));
    return counts;
  }

  private synchronized void logIfChanged() {
    long total = counts().values().stream().mapToLong(Long::longValue).sum();
    if (total != reported) {
      logTotals();
    }
  }

  /** Logs the calls served so far. */
  synchronized void logTotals() {
    var counts = counts();
    long total = counts.values().stream().mapToLong(Long::longValue).sum();
    reported = total;
    LOG.log(System.Logger.Level.INFO, "gRPC calls served: {0} {1}", Long.toString(total), counts);
  }

  /** Logs the totals a last time and stops the periodic report. */
  @Override
  public void close() {
    reporter.shutdownNow();
    logTotals();
  }
}
