package io.parley.common.runtime;

import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.annotation.WebListener;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.eclipse.microprofile.config.ConfigProvider;

/**
 * One full garbage collection, once, when the service has started and gone quiet: the heap then
 * gives back what start-up touched.
 *
 * <p>Start-up (Liberty's features, CDI, the gRPC server, loading models) leaves the old generation
 * full of objects that die right after it. The serial collector (every service under {@code
 * ./parley up}, the gRPC services in pods) collects the old generation only when it fills up, so an
 * idle service would keep those pages resident for good. A full collection shrinks the heap to what
 * is live plus {@code -XX:MaxHeapFreeRatio} ({@code jvm.options}); this listener runs one: at least
 * {@link #SETTLE} after the application started, at the end of the first {@link #WINDOW} in which
 * the process used less than {@link #QUIET_SHARE} of one CPU (start-up and model loading done). A
 * service that is not quiet within {@link #LIMIT} (taking traffic at once) is left alone: it needs
 * its heap. See docs/operations.md#memory-and-threads for what it saves. {@value #ENABLED}{@code
 * =false} (environment {@code PARLEY_STARTUP_COLLECTION=false}) turns it off.
 *
 * <p>The gateway finds this listener by its annotation; the gRPC services, whose {@code web.xml} is
 * metadata-complete (no annotation scan), declare it there.
 */
@WebListener
public class StartupCollection implements ServletContextListener {

  /** MP Config key: whether the collection runs (default true). */
  public static final String ENABLED = "parley.startup-collection";

  /** The least time between the application's start and the collection. */
  static final Duration SETTLE = Duration.ofSeconds(10);

  /** The span over which the process's CPU time is sampled. */
  static final Duration WINDOW = Duration.ofSeconds(5);

  /** Quiet: less than this share of one CPU over a {@link #WINDOW}. */
  static final double QUIET_SHARE = 0.05;

  /** No collection when the process has not been quiet this long after its start. */
  static final Duration LIMIT = Duration.ofMinutes(10);

  private static final System.Logger LOG = System.getLogger(StartupCollection.class.getName());

  private volatile Thread waiter;

  @Override
  public void contextInitialized(ServletContextEvent event) {
    if (!ConfigProvider.getConfig().getOptionalValue(ENABLED, Boolean.class).orElse(true)) {
      return;
    }
    waiter =
        Thread.ofPlatform()
            .daemon()
            .name("parley-startup-collection")
            .start(StartupCollection::collectWhenQuiet);
  }

  @Override
  public void contextDestroyed(ServletContextEvent event) {
    var thread = waiter;
    if (thread != null) {
      thread.interrupt();
    }
  }

  private static void collectWhenQuiet() {
    try {
      if (awaitQuiet(StartupCollection::processCpuNanos, Thread::sleep)) {
        collect();
      } else {
        LOG.log(
            System.Logger.Level.DEBUG,
            "Not quiet within {0} of the start: no start-up collection",
            LIMIT);
      }
    } catch (InterruptedException e) {
      // The application stops.
    }
  }

  /** Sleeps for a duration; {@link Thread#sleep(Duration)} in production. */
  @FunctionalInterface
  interface Sleeper {
    void sleep(Duration duration) throws InterruptedException;
  }

  /**
   * Waits {@link #SETTLE}, then samples the process's CPU time every {@link #WINDOW}.
   *
   * @param cpuNanos the process's CPU time so far in nanoseconds, negative when unknown (then the
   *     process counts as quiet once settled)
   * @return true at the end of the first quiet window, false once {@link #LIMIT} has passed without
   *     one
   */
  static boolean awaitQuiet(LongSupplier cpuNanos, Sleeper sleeper) throws InterruptedException {
    sleeper.sleep(SETTLE);
    long quietNanos = (long) (WINDOW.toNanos() * QUIET_SHARE);
    for (Duration waited = SETTLE; waited.compareTo(LIMIT) < 0; waited = waited.plus(WINDOW)) {
      long before = cpuNanos.getAsLong();
      if (before < 0) {
        return true;
      }
      sleeper.sleep(WINDOW);
      long after = cpuNanos.getAsLong();
      if (after >= 0 && after - before < quietNanos) {
        return true;
      }
    }
    return false;
  }

  private static long processCpuNanos() {
    return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(-1L);
  }

  private static void collect() {
    var runtime = Runtime.getRuntime();
    long before = runtime.totalMemory();
    long started = System.nanoTime();
    System.gc();
    long millis = (System.nanoTime() - started) / 1_000_000;
    long after = runtime.totalMemory();
    LOG.log(
        System.Logger.Level.INFO,
        "Start-up done: one full collection ({0} ms), heap {1} MiB committed before, {2} MiB after"
            + " ({3} MiB in use)",
        Long.toString(millis),
        Long.toString(before >> 20),
        Long.toString(after >> 20),
        Long.toString((after - runtime.freeMemory()) >> 20));
  }
}
