package io.parley.common.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the calls a gRPC server accepts, per method, and logs two lines an operator can use to
 * follow a rollout: the first call this server received (when a new replica joined the rotation)
 * and, when the server stops, how many calls it served. Health checks are not counted.
 */
final class CallTally implements ServerInterceptor {

  private static final System.Logger LOG = System.getLogger(CallTally.class.getName());

  private final long startedNanos = System.nanoTime();
  private final AtomicBoolean first = new AtomicBoolean();
  private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();

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

  /** Logs the calls served (on shutdown). */
  void logTotals() {
    var counts = counts();
    long total = counts.values().stream().mapToLong(Long::longValue).sum();
    LOG.log(System.Logger.Level.INFO, "gRPC calls served: {0} {1}", Long.toString(total), counts);
  }
}
