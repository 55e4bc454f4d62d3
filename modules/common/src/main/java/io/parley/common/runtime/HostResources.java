package io.parley.common.runtime;

import java.lang.management.ManagementFactory;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.Config;

/**
 * What the machine gives this service, and the thread counts every service derives from it at
 * start.
 *
 * <p>{@code cpus} is {@link Runtime#availableProcessors()}, which in a container honours the CPU
 * quota of its cgroup (and {@code -XX:ActiveProcessorCount}). {@code sharedServices} says how many
 * Parley services share those CPUs: {@value #SHARED_SERVICES} (environment {@code
 * PARLEY_HOST_SHARED_SERVICES}); {@code ./parley up} sets it to 6 (every service on one host), a
 * pod runs one service (the default, 1).
 *
 * <p>Why it matters: a token of a small model costs well under a millisecond, and llama.cpp's
 * worker threads spin between the steps. With one thread per CPU on a host that also runs the
 * gateway and four other JVMs, those spinning threads take the CPUs the gateway and the gRPC stack
 * need for the same token (measured on 2 CPUs: a 256-token stream through the gateway at 526 tokens
 * per second with 2 llama threads against 1,824 with 1; see docs/benchmarks.md).
 *
 * @param cpus CPUs this process may use
 * @param sharedServices Parley services running on the same CPUs (1 = this one alone)
 */
public record HostResources(int cpus, int sharedServices) {

  /** MP Config key: how many Parley services share this host's CPUs. */
  public static final String SHARED_SERVICES = "parley.host.shared-services";

  /** MP Config key: Netty event-loop threads of the gRPC server (0 = chosen from the host). */
  public static final String GRPC_EVENT_LOOPS = "parley.grpc.event-loop-threads";

  /** Checks the values. */
  public HostResources {
    if (cpus < 1 || sharedServices < 1) {
      throw new IllegalArgumentException(
          "cpus and sharedServices must be >= 1: " + cpus + ", " + sharedServices);
    }
  }

  /** Reads the host from the JVM and {@value #SHARED_SERVICES} from {@code config}. */
  public static HostResources from(Config config) {
    int shared = config.getOptionalValue(SHARED_SERVICES, Integer.class).orElse(1);
    return new HostResources(Runtime.getRuntime().availableProcessors(), Math.max(1, shared));
  }

  /** Whether other Parley services share this host's CPUs. */
  public boolean colocated() {
    return sharedServices > 1;
  }

  /**
   * Threads for a compute engine (llama.cpp decoding, ONNX Runtime intra-op): every CPU when the
   * service has the host to itself, half of them (at least one) when other services share it, so
   * that the gateway and the gRPC stack that carry each result keep CPUs of their own.
   */
  public int computeThreads() {
    return colocated() ? Math.max(1, cpus / 2) : cpus;
  }

  /**
   * Whether idle compute threads may spin (busy-wait) for the next step: only when the service has
   * the host to itself. Where other services share the CPUs, a spinning thread takes the CPU from
   * the very threads it waits for.
   */
  public boolean computeSpinWait() {
    return !colocated();
  }

  /**
   * Netty event-loop threads of a gRPC server: {@value #GRPC_EVENT_LOOPS} when set above 0,
   * otherwise one per CPU alone and one when colocated (grpc-java's own default is two per CPU). A
   * server has few connections (the gateways' channels), and each connection is served by one event
   * loop whatever the count.
   */
  public int eventLoopThreads(Config config) {
    return config
        .getOptionalValue(GRPC_EVENT_LOOPS, Integer.class)
        .filter(n -> n > 0)
        .orElseGet(this::defaultEventLoopThreads);
  }

  /** Netty event-loop threads chosen from the host: one per CPU alone, one when colocated. */
  public int defaultEventLoopThreads() {
    return colocated() ? 1 : cpus;
  }

  /** One line for the start-up log: CPUs, sharing, and the JVM's heap limit and collector. */
  public String describe() {
    var collectors =
        ManagementFactory.getGarbageCollectorMXBeans().stream()
            .map(java.lang.management.GarbageCollectorMXBean::getName)
            .collect(Collectors.joining("/"));
    return cpus
        + " CPUs, "
        + (colocated() ? "shared by " + sharedServices + " services" : "not shared")
        + ", heap max "
        + (Runtime.getRuntime().maxMemory() >> 20)
        + " MiB, GC "
        + collectors;
  }
}
