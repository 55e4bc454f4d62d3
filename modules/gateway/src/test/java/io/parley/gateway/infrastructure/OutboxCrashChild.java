package io.parley.gateway.infrastructure;

import io.grpc.inprocess.InProcessChannelBuilder;
import io.parley.common.v1.TokenUsage;
import io.parley.gateway.application.AdmittedUsage;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Optional;
import java.util.concurrent.Executors;

/**
 * A gateway process for {@link JournalUsageOutboxTest}: journals requests against a usage service
 * that cannot be reached, says so on standard output and waits to be killed with SIGKILL.
 */
final class OutboxCrashChild {

  private OutboxCrashChild() {}

  /**
   * @param args the journal directory, then how many requests to finish and how many to leave
   *     running
   */
  public static void main(String[] args) throws Exception {
    var channel = InProcessChannelBuilder.forName("nobody-listens").build();
    var usage = new UsageClient(channel, Optional.of("in-process"), 1_000, 1);
    var outbox =
        new JournalUsageOutbox(
            usage,
            new JournalUsageOutbox.Settings(Path.of(args[0]), 4096, 1L << 30, 60_000, 500, 10, 1),
            InstantSource.system(),
            Executors.newScheduledThreadPool(2));
    outbox.open();
    int finished = Integer.parseInt(args[1]);
    int running = Integer.parseInt(args[2]);
    for (int i = 0; i < finished + running; i++) {
      outbox.admitted(
          new AdmittedUsage(
              "req_" + i, "org-a", "key-1", "stories", usage(10, 100), "lease_" + (i % 3)));
    }
    for (int i = 0; i < finished; i++) {
      outbox.finished("req_" + i, usage(10, i));
    }
    // fsync only every minute: what survives the kill is what plain writes left in the page cache.
    System.out.println("journalled");
    System.out.flush();
    Thread.sleep(600_000);
  }

  private static TokenUsage usage(int prompt, int completion) {
    return TokenUsage.newBuilder()
        .setPromptTokens(prompt)
        .setCompletionTokens(completion)
        .setTotalTokens(prompt + completion)
        .build();
  }
}
