package io.parley.gateway.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.common.v1.TokenUsage;
import io.parley.gateway.application.AdmittedUsage;
import io.parley.gateway.application.ScriptedUsage;
import io.parley.gateway.domain.ServiceUnavailableException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The usage outbox bills every admitted request exactly once: across a killed process (simulated by
 * abandoning an instance without closing it: its threads stop, nothing is flushed or synced), while
 * the usage service is down, and with a torn last line.
 */
class JournalUsageOutboxTest {

  @TempDir Path dir;
  private ScriptedUsage usage;
  private final List<JournalUsageOutbox> open = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    usage = new ScriptedUsage();
  }

  @AfterEach
  void stop() {
    open.forEach(JournalUsageOutbox::close);
    usage.close();
  }

  @Test
  void finishedRequest_reachesTheLedgerOnce_andItsSegmentIsDeleted() throws Exception {
    var outbox = outbox(200);
    for (int i = 0; i < 20; i++) {
      outbox.admitted(admitted("req_" + i, "lease_1"));
    }
    assertThat(outbox.unrecorded("lease_1")).isEqualTo(20);
    for (int i = 0; i < 20; i++) {
      outbox.finished("req_" + i, usage(3, 4));
    }

    await(() -> usage.ledger.size() == 20 && outbox.pending() == 0);
    assertThat(usage.received).hasSize(20);
    assertThat(usage.ledger.get("req_7").getUsage().getCompletionTokens()).isEqualTo(4);
    assertThat(usage.ledger.get("req_7").getLeaseId()).isEqualTo("lease_1");
    assertThat(usage.ledger.get("req_7").getInterrupted()).isFalse();
    assertThat(outbox.unrecorded("lease_1")).isZero();
    // Tiny segments: everything recorded is gone but the segment being written.
    await(() -> segmentCount() == 1);
  }

  @Test
  void replay_admittedOnly_isBilledItsEstimate_asInterrupted() throws Exception {
    usage.down.set(true);
    var first = outbox(1 << 20);
    first.admitted(admitted("req_cut", ""));
    kill(first);
    usage.down.set(false);

    reopen();

    await(() -> usage.ledger.containsKey("req_cut"));
    var record = usage.ledger.get("req_cut");
    assertThat(record.getInterrupted()).isTrue();
    assertThat(record.getUsage().getPromptTokens()).isEqualTo(10);
    assertThat(record.getUsage().getCompletionTokens()).isEqualTo(100);
    assertThat(record.getUsage().getTotalTokens()).isEqualTo(110);
    assertThat(record.getOrganization()).isEqualTo("org-a");
    assertThat(record.getApiKeyId()).isEqualTo("key-1");
  }

  @Test
  void replay_finishedButUnrecorded_isSentAgain_withTheActualUsage() throws Exception {
    usage.down.set(true);
    var first = outbox(1 << 20);
    first.admitted(admitted("req_done", ""));
    first.finished("req_done", usage(10, 7));
    kill(first);
    usage.down.set(false);

    reopen();

    await(() -> usage.ledger.containsKey("req_done"));
    assertThat(usage.ledger.get("req_done").getUsage().getCompletionTokens()).isEqualTo(7);
    assertThat(usage.ledger.get("req_done").getInterrupted()).isFalse();
  }

  @Test
  void replay_recorded_sendsNothing() throws Exception {
    var first = outbox(1 << 20);
    first.admitted(admitted("req_old", ""));
    first.finished("req_old", usage(1, 1));
    await(() -> first.pending() == 0);
    kill(first);

    var second = reopen();
    second.admitted(admitted("req_new", ""));
    second.finished("req_new", usage(1, 1));

    await(() -> usage.ledger.containsKey("req_new"));
    assertThat(usage.receipts("req_old")).isEqualTo(1);
    assertThat(second.pending()).isZero();
  }

  @Test
  void replay_skipsATornLastLine() throws Exception {
    usage.down.set(true);
    var first = outbox(1 << 20);
    first.admitted(admitted("req_a", ""));
    first.finished("req_a", usage(2, 2));
    kill(first);
    var last = segments().getLast();
    // Torn inside a two-byte character ("é" is C3 A9).
    byte[] torn =
        "{\"event\":\"finished\",\"requestId\":\"req_\u00e9".getBytes(StandardCharsets.UTF_8);
    Files.write(last, java.util.Arrays.copyOf(torn, torn.length - 1), StandardOpenOption.APPEND);
    usage.down.set(false);

    var second = reopen();

    await(() -> usage.ledger.containsKey("req_a") && second.pending() == 0);
    assertThat(usage.ledger).hasSize(1);
    assertThat(usage.ledger.get("req_a").getUsage().getTotalTokens()).isEqualTo(4);
  }

  @Test
  void crashMidway_everyAdmittedRequestIsBilledExactlyOnce() throws Exception {
    var first = outbox(512);
    // Recorded before the crash.
    for (int i = 0; i < 5; i++) {
      first.admitted(admitted("req_sent_" + i, ""));
      first.finished("req_sent_" + i, usage(1, 2));
    }
    await(() -> first.pending() == 0);
    // Then the usage service goes away: finished but unsent, and running when the process dies.
    usage.down.set(true);
    for (int i = 0; i < 5; i++) {
      first.admitted(admitted("req_unsent_" + i, ""));
      first.finished("req_unsent_" + i, usage(1, 3));
      first.admitted(admitted("req_running_" + i, ""));
    }
    kill(first);
    usage.down.set(false);

    var second = reopen();
    await(() -> usage.ledger.size() == 15 && second.pending() == 0);
    kill(second);
    // A third start owes nothing.
    var third = reopen();
    Thread.sleep(200);

    assertThat(usage.ledger).hasSize(15);
    for (var id : usage.ledger.keySet()) {
      assertThat(usage.receipts(id)).as(id).isEqualTo(1);
    }
    assertThat(usage.ledger.get("req_unsent_2").getUsage().getCompletionTokens()).isEqualTo(3);
    assertThat(usage.ledger.get("req_running_2").getInterrupted()).isTrue();
    assertThat(usage.ledger.get("req_running_2").getUsage().getCompletionTokens()).isEqualTo(100);
    assertThat(third.pending()).isZero();
  }

  @Test
  void processKilledWithSigkill_everyRequestItJournalledIsBilledOnce() throws Exception {
    var java = ProcessHandle.current().info().command().orElseThrow();
    var child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                OutboxCrashChild.class.getName(),
                dir.toString(),
                "30",
                "20")
            .redirectErrorStream(true)
            .start();
    try (var out =
        new java.io.BufferedReader(
            new java.io.InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      do {
        line = out.readLine();
      } while (line != null && !line.equals("journalled"));
      assertThat(line).as("the child journalled its requests").isEqualTo("journalled");
      child.destroyForcibly(); // SIGKILL
      assertThat(child.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(child.exitValue()).isEqualTo(137);

    var outbox = outbox(1 << 20);

    await(() -> usage.ledger.size() == 50 && outbox.pending() == 0);
    for (int i = 0; i < 50; i++) {
      var record = usage.ledger.get("req_" + i);
      assertThat(usage.receipts("req_" + i)).isEqualTo(1);
      if (i < 30) {
        assertThat(record.getInterrupted()).isFalse();
        assertThat(record.getUsage().getCompletionTokens()).isEqualTo(i);
      } else {
        assertThat(record.getInterrupted()).isTrue();
        assertThat(record.getUsage().getCompletionTokens()).isEqualTo(100);
      }
    }
    assertThat(usage.ledger.get("req_4").getLeaseId()).isEqualTo("lease_1");
  }

  @Test
  void usageDown_recordsWait_andLandWhenItIsBack() throws Exception {
    usage.down.set(true);
    var outbox = outbox(1 << 20);
    outbox.admitted(admitted("req_wait", ""));
    outbox.finished("req_wait", usage(1, 1));
    Thread.sleep(300);
    assertThat(usage.ledger).isEmpty();

    usage.down.set(false);

    await(() -> usage.ledger.containsKey("req_wait") && outbox.pending() == 0);
    assertThat(usage.receipts("req_wait")).isEqualTo(1);
  }

  @Test
  void fullJournal_refusesNewRequests_butStillWritesTheirEnds() throws Exception {
    usage.down.set(true);
    var outbox =
        track(
            new JournalUsageOutbox(
                usage.client(),
                new JournalUsageOutbox.Settings(dir, 1 << 20, 300, 50, 500, 10, 1),
                InstantSource.system(),
                Executors.newScheduledThreadPool(2)));
    outbox.open();
    outbox.admitted(admitted("req_1", ""));
    outbox.admitted(admitted("req_2", ""));

    assertThatThrownBy(() -> outbox.admitted(admitted("req_3", "")))
        .isInstanceOf(ServiceUnavailableException.class);
    outbox.finished("req_1", usage(1, 1));
    outbox.finished("req_2", usage(1, 1));
    usage.down.set(false);
    await(() -> usage.ledger.size() == 2);
    assertThat(usage.ledger).doesNotContainKey("req_3");
  }

  @Test
  void secondGateway_onTheSameDirectory_isRefused() throws Exception {
    outbox(1 << 20);

    assertThatThrownBy(() -> outbox(1 << 20))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("in use by another gateway");
  }

  private final List<ScheduledExecutorService> executors = new ArrayList<>();

  private JournalUsageOutbox outbox(long segmentBytes) {
    var executor = Executors.newScheduledThreadPool(2);
    executors.add(executor);
    var outbox =
        new JournalUsageOutbox(
            usage.client(),
            new JournalUsageOutbox.Settings(dir, segmentBytes, 1L << 30, 50, 500, 10, 1),
            InstantSource.system(),
            executor);
    outbox.open();
    return track(outbox);
  }

  private JournalUsageOutbox track(JournalUsageOutbox outbox) {
    open.add(outbox);
    return outbox;
  }

  /**
   * What kill -9 leaves: the threads stop where they are, nothing more is sent, flushed or synced,
   * the instance is abandoned. (Its directory lock is dropped, as the kernel drops a dead process's
   * locks.)
   */
  private void kill(JournalUsageOutbox outbox) throws Exception {
    var executor = executors.get(open.indexOf(outbox));
    executor.shutdownNow();
    assertThat(executor.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    open.remove(outbox);
    executors.remove(executor);
    releaseLock(outbox);
  }

  private static void releaseLock(JournalUsageOutbox outbox) throws Exception {
    var lock = JournalUsageOutbox.class.getDeclaredField("dirLock");
    lock.setAccessible(true);
    ((java.nio.channels.FileLock) lock.get(outbox)).channel().close();
  }

  private JournalUsageOutbox reopen() {
    return outbox(1 << 20);
  }

  private int segmentCount() {
    try {
      return segments().size();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private List<Path> segments() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".jsonl")).sorted().toList();
    }
  }

  private static AdmittedUsage admitted(String requestId, String leaseId) {
    return new AdmittedUsage(requestId, "org-a", "key-1", "stories", usage(10, 100), leaseId);
  }

  private static TokenUsage usage(int prompt, int completion) {
    return TokenUsage.newBuilder()
        .setPromptTokens(prompt)
        .setCompletionTokens(completion)
        .setTotalTokens(prompt + completion)
        .build();
  }

  private static void await(BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met in time");
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }
}
