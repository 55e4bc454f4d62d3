package io.parley.embeddings.infrastructure.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.embeddings.domain.EngineFailureException;
import io.parley.embeddings.domain.EngineOverloadedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Grouping, limits and routing of the batcher, with an encoder that records its batches. */
class DynamicBatcherTest {

  /** Encodes a sequence as the vector {first id, length} and records every batch. */
  static final class RecordingEncoder implements DynamicBatcher.BatchEncoder {
    final List<List<long[]>> batches = Collections.synchronizedList(new ArrayList<>());
    volatile CountDownLatch gate = new CountDownLatch(0);

    @Override
    public float[][] encode(List<long[]> sequences) throws Exception {
      gate.await(5, TimeUnit.SECONDS);
      batches.add(List.copyOf(sequences));
      var vectors = new float[sequences.size()][];
      for (int i = 0; i < vectors.length; i++) {
        vectors[i] = new float[] {sequences.get(i)[0], sequences.get(i).length};
      }
      return vectors;
    }
  }

  static long[] seq(long id, int length) {
    var s = new long[length];
    s[0] = id;
    return s;
  }

  @Test
  void requestsQueuedWhileTheModelIsBusy_runTogether_andGetTheirOwnVectors() throws Exception {
    var encoder = new RecordingEncoder();
    try (var batcher = new DynamicBatcher("m", encoder, 32, 10_000, Duration.ofMillis(1), 100)) {
      encoder.gate = new CountDownLatch(1);
      var blocker = batcher.submit(List.of(seq(0, 3)));
      Thread.sleep(50); // the worker now holds the first batch at the gate
      var futures = new ArrayList<java.util.concurrent.CompletableFuture<float[][]>>();
      for (int i = 1; i <= 10; i++) {
        futures.add(batcher.submit(List.of(seq(i, 2), seq(100 + i, 4))));
      }
      encoder.gate.countDown();
      blocker.join();
      for (int i = 1; i <= 10; i++) {
        var vectors = futures.get(i - 1).join();
        assertThat(vectors[0]).containsExactly(i, 2);
        assertThat(vectors[1]).containsExactly(100 + i, 4);
      }
      assertThat(encoder.batches).hasSize(2);
      assertThat(encoder.batches.get(1)).hasSize(20);
      assertThat(batcher.batches()).isEqualTo(2);
      assertThat(batcher.sequences()).isEqualTo(21);
    }
  }

  @Test
  void batches_respectTheSizeAndPaddedTokenLimits() {
    var encoder = new RecordingEncoder();
    try (var batcher = new DynamicBatcher("m", encoder, 4, 40, Duration.ofMillis(50), 100)) {
      var sizes = new ArrayList<long[]>();
      for (int i = 0; i < 10; i++) {
        sizes.add(seq(i, 5));
      }
      batcher.submit(sizes).join();
      assertThat(encoder.batches).extracting(List::size).containsExactly(4, 4, 2);

      encoder.batches.clear();
      // 3 × 12 = 36 fits in 40 padded tokens; a fourth would make 48.
      batcher.submit(List.of(seq(1, 12), seq(2, 3), seq(3, 3), seq(4, 3), seq(5, 3))).join();
      assertThat(encoder.batches).extracting(List::size).containsExactly(3, 2);
    }
  }

  @Test
  void aLoneCaller_isNotDelayed_butUnderConcurrencyARequestWaitsForCompany() throws Exception {
    var encoder = new RecordingEncoder();
    try (var batcher = new DynamicBatcher("m", encoder, 32, 10_000, Duration.ofMillis(300), 100)) {
      long start = System.nanoTime();
      batcher.submit(List.of(seq(1, 2))).join();
      batcher.submit(List.of(seq(2, 2))).join();
      assertThat((System.nanoTime() - start) / 1_000_000).isLessThan(250);

      // Two requests in one batch: the service is under concurrency from now on.
      encoder.gate = new CountDownLatch(1);
      var blocker = batcher.submit(List.of(seq(3, 2)));
      Thread.sleep(50);
      var a = batcher.submit(List.of(seq(4, 2)));
      var b = batcher.submit(List.of(seq(5, 2)));
      encoder.gate.countDown();
      blocker.join();
      a.join();
      b.join();
      encoder.batches.clear();

      var early = batcher.submit(List.of(seq(6, 2)));
      Thread.sleep(50);
      var late = batcher.submit(List.of(seq(7, 2)));
      early.join();
      late.join();
      assertThat(encoder.batches).hasSize(1);
      assertThat(encoder.batches.getFirst()).hasSize(2);
    }
  }

  @Test
  void cancelledRequests_areDroppedBeforeTheyRun() throws Exception {
    var encoder = new RecordingEncoder();
    try (var batcher = new DynamicBatcher("m", encoder, 32, 10_000, Duration.ofMillis(1), 100)) {
      encoder.gate = new CountDownLatch(1);
      var blocker = batcher.submit(List.of(seq(0, 2)));
      Thread.sleep(50);
      var cancelled = batcher.submit(List.of(seq(1, 2), seq(2, 2)));
      var kept = batcher.submit(List.of(seq(3, 2)));
      cancelled.cancel(false);
      encoder.gate.countDown();
      blocker.join();
      assertThat(kept.join()[0]).containsExactly(3, 2);
      assertThat(encoder.batches.get(1)).hasSize(1);
    }
  }

  @Test
  void aFullQueue_refusesRequestsAsOverloaded() throws Exception {
    var encoder = new RecordingEncoder();
    try (var batcher = new DynamicBatcher("m", encoder, 32, 10_000, Duration.ofMillis(1), 4)) {
      encoder.gate = new CountDownLatch(1);
      batcher.submit(List.of(seq(0, 2)));
      Thread.sleep(50);
      batcher.submit(List.of(seq(1, 2), seq(2, 2), seq(3, 2)));
      assertThatThrownBy(() -> batcher.submit(List.of(seq(4, 2), seq(5, 2))))
          .isInstanceOf(EngineOverloadedException.class);
      encoder.gate.countDown();
    }
  }

  @Test
  void anEncoderFailure_failsTheRequestsOfThatBatchOnly() {
    var calls = new java.util.concurrent.atomic.AtomicInteger();
    DynamicBatcher.BatchEncoder failingOnce =
        sequences -> {
          if (calls.getAndIncrement() == 0) {
            throw new IllegalStateException("boom");
          }
          return new float[sequences.size()][1];
        };
    try (var batcher = new DynamicBatcher("m", failingOnce, 32, 10_000, Duration.ZERO, 100)) {
      assertThatThrownBy(() -> batcher.submit(List.of(seq(1, 2))).join())
          .isInstanceOf(CompletionException.class)
          .hasCauseInstanceOf(EngineFailureException.class);
      assertThat(batcher.submit(List.of(seq(1, 2))).join()).hasNumberOfRows(1);
    }
  }

  @Test
  void close_failsWhatIsStillQueued() throws Exception {
    var encoder = new RecordingEncoder();
    var batcher = new DynamicBatcher("m", encoder, 1, 10_000, Duration.ZERO, 100);
    encoder.gate = new CountDownLatch(1);
    batcher.submit(List.of(seq(0, 2)));
    Thread.sleep(50);
    var queued = batcher.submit(List.of(seq(1, 2)));
    encoder.gate.countDown();
    batcher.close();
    assertThat(queued).isDone();
    assertThatThrownBy(() -> batcher.submit(List.of(seq(2, 2))))
        .isInstanceOf(EngineFailureException.class);
  }
}
