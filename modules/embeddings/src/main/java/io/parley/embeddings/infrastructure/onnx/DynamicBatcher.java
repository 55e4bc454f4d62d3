package io.parley.embeddings.infrastructure.onnx;

import io.parley.embeddings.domain.EngineFailureException;
import io.parley.embeddings.domain.EngineOverloadedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Groups the sequences of concurrent requests into batches for one model, runs each batch once and
 * routes every vector back to its request.
 *
 * <p>One worker thread takes the oldest queued sequence and keeps adding queued ones until the
 * batch holds {@code maxBatchSize} sequences, its padded size ({@code sequences × longest}) would
 * pass {@code maxBatchTokens}, or {@code maxWait} has passed since the oldest was queued. Requests
 * that queued while the model was busy go at once; the wait for company only applies under
 * concurrency, that is when the previous batch served several requests: a lone caller is never
 * delayed. A request's sequences may be spread over several batches; its future completes when the
 * last one is done. Sequences of a cancelled request are dropped before they run.
 */
public final class DynamicBatcher implements AutoCloseable {

  /** Encodes one batch: one vector per sequence, in order. */
  @FunctionalInterface
  public interface BatchEncoder {
    float[][] encode(List<long[]> sequences) throws Exception;
  }

  private final String name;
  private final BatchEncoder encoder;
  private final int maxBatchSize;
  private final long maxBatchTokens;
  private final long maxWaitNanos;
  private final Semaphore capacity;
  private final LinkedBlockingQueue<Item> queue = new LinkedBlockingQueue<>();
  private final ReentrantLock submitLock = new ReentrantLock();
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong sequences = new AtomicLong();
  private final Thread worker;
  private final BatcherMeters meters;
  private volatile boolean closed;
  private Item carried;
  private int lastBatchRequests;

  /**
   * Starts the worker.
   *
   * @param name model id, names the worker thread
   * @param encoder what runs a batch
   * @param maxBatchSize most sequences per batch
   * @param maxBatchTokens most padded tokens per batch (a longer single sequence still runs alone)
   * @param maxWait longest the oldest queued sequence waits for company
   * @param queueCapacity most sequences waiting; beyond, requests are refused as overloaded
   */
  public DynamicBatcher(
      String name,
      BatchEncoder encoder,
      int maxBatchSize,
      long maxBatchTokens,
      Duration maxWait,
      int queueCapacity) {
    this.name = name;
    this.encoder = encoder;
    this.maxBatchSize = Math.max(1, maxBatchSize);
    this.maxBatchTokens = Math.max(1, maxBatchTokens);
    this.maxWaitNanos = maxWait.toNanos();
    this.capacity = new Semaphore(queueCapacity);
    this.meters = new BatcherMeters(name, queue);
    this.worker =
        Thread.ofPlatform().name("parley-embed-batcher-" + name).daemon().start(this::run);
  }

  /**
   * Queues the sequences of one request.
   *
   * @return the vectors, in order; cancel it to drop what has not run yet
   * @throws EngineOverloadedException when the queue has no room for all of them
   */
  public CompletableFuture<float[][]> submit(List<long[]> request) {
    if (closed) {
      throw new EngineFailureException("The model " + name + " is shut down.", null);
    }
    if (!capacity.tryAcquire(request.size())) {
      throw new EngineOverloadedException(
          "The model " + name + " is overloaded: too many inputs are waiting. Retry later.");
    }
    var pending = new Pending(request.size());
    submitLock.lock();
    try {
      long now = System.nanoTime();
      for (int i = 0; i < request.size(); i++) {
        queue.add(new Item(request.get(i), pending, i, now));
      }
    } finally {
      submitLock.unlock();
    }
    return pending.future;
  }

  /** Batches run so far. */
  public long batches() {
    return batches.get();
  }

  /** Sequences encoded so far. */
  public long sequences() {
    return sequences.get();
  }

  private void run() {
    while (!closed) {
      List<Item> batch;
      try {
        batch = collect();
      } catch (InterruptedException e) {
        break;
      }
      if (batch.isEmpty()) {
        continue;
      }
      var input = new ArrayList<long[]>(batch.size());
      for (var item : batch) {
        input.add(item.tokens);
      }
      float[][] vectors;
      long started = System.nanoTime();
      try {
        vectors = encoder.encode(input);
      } catch (Exception | LinkageError e) {
        var failure = new EngineFailureException("Encoding a batch of " + name + " failed", e);
        for (var item : batch) {
          item.owner.future.completeExceptionally(failure);
        }
        continue;
      }
      batches.incrementAndGet();
      meters.batch(batch.size(), System.nanoTime() - started);
      sequences.addAndGet(batch.size());
      lastBatchRequests = (int) batch.stream().map(Item::owner).distinct().count();
      for (int i = 0; i < batch.size(); i++) {
        batch.get(i).owner.complete(batch.get(i).slot, vectors[i]);
      }
    }
    fail(new EngineFailureException("The model " + name + " is shut down.", null));
  }

  /** The next batch: blocks for the first sequence, then gathers within the limits. */
  private List<Item> collect() throws InterruptedException {
    var batch = new ArrayList<Item>();
    Item first = carried;
    carried = null;
    if (first == null) {
      first = queue.take();
      capacity.release();
    }
    if (!accept(first)) {
      return batch;
    }
    batch.add(first);
    // A request's sequences are queued under the lock: wait for the one being queued to finish.
    submitLock.lock();
    submitLock.unlock();
    int longest = first.tokens.length;
    boolean waitForCompany = lastBatchRequests > 1;
    long deadline = first.queuedAt + maxWaitNanos;
    while (batch.size() < maxBatchSize) {
      long wait = waitForCompany ? deadline - System.nanoTime() : 0;
      Item next = wait > 0 ? queue.poll(wait, TimeUnit.NANOSECONDS) : queue.poll();
      if (next == null) {
        break;
      }
      capacity.release();
      if (!accept(next)) {
        continue;
      }
      int widest = Math.max(longest, next.tokens.length);
      if ((long) widest * (batch.size() + 1) > maxBatchTokens) {
        carried = next;
        break;
      }
      batch.add(next);
      longest = widest;
    }
    return batch;
  }

  /** Whether the item's request still wants it (not cancelled, not failed). */
  private static boolean accept(Item item) {
    return !item.owner.future.isDone();
  }

  private void fail(EngineFailureException failure) {
    if (carried != null) {
      carried.owner.future.completeExceptionally(failure);
    }
    Item item;
    while ((item = queue.poll()) != null) {
      item.owner.future.completeExceptionally(failure);
    }
  }

  @Override
  public void close() {
    closed = true;
    worker.interrupt();
    try {
      worker.join(Duration.ofSeconds(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    fail(new EngineFailureException("The model " + name + " is shut down.", null));
    meters.close();
  }

  private record Item(long[] tokens, Pending owner, int slot, long queuedAt) {}

  /** The vectors of one request, filled in as its sequences are encoded. */
  private static final class Pending {
    final CompletableFuture<float[][]> future = new CompletableFuture<>();
    final float[][] vectors;
    final AtomicInteger remaining;

    Pending(int size) {
      vectors = new float[size][];
      remaining = new AtomicInteger(size);
    }

    void complete(int slot, float[] vector) {
      vectors[slot] = vector;
      if (remaining.decrementAndGet() == 0) {
        future.complete(vectors);
      }
    }
  }
}
