package io.parley.inference.infrastructure.llama;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Configuration of one {@link LlamaEngine}.
 *
 * @param modelId identifier reported in {@link io.parley.inference.domain.ModelInfo#id()}
 * @param modelPath GGUF file
 * @param slots parallel sequences decoded together (llama.cpp {@code n_seq_max}); a request with
 *     {@code best_of} (or {@code n}) k needs k free slots
 * @param ctxPerSlot cap on the context of one sequence; the effective value is the model's training
 *     context ({@code n_ctx_train}) capped by this, or the training context when 0. The llama.cpp
 *     context holds {@code slots × ctxPerSlot} tokens.
 * @param threads CPU threads for decoding
 * @param batchSize tokens per {@code llama_decode} call ({@code n_batch} and {@code n_ubatch});
 *     long prompts are evaluated in chunks of this size. At least {@code slots}.
 * @param queueCapacity requests that may wait for free slots (at least 1; every request passes
 *     through the queue); beyond it requests are rejected as overloaded
 * @param maxQueueWait longest a request may wait for free slots before failing as overloaded
 * @param libraryPath the llama.cpp shared library; when empty it comes from the system property
 *     {@value io.parley.llama.LlamaLibrary#LIBRARY_PROPERTY} or the classpath
 */
public record LlamaEngineConfig(
    String modelId,
    Path modelPath,
    int slots,
    int ctxPerSlot,
    int threads,
    int batchSize,
    int queueCapacity,
    Duration maxQueueWait,
    Optional<Path> libraryPath) {

  public static final int DEFAULT_SLOTS = 4;
  public static final int DEFAULT_CTX_PER_SLOT = 4096;
  public static final int DEFAULT_BATCH_SIZE = 512;
  public static final int DEFAULT_QUEUE_CAPACITY = 64;
  public static final Duration DEFAULT_MAX_QUEUE_WAIT = Duration.ofSeconds(30);

  public LlamaEngineConfig {
    Objects.requireNonNull(modelId, "modelId");
    Objects.requireNonNull(modelPath, "modelPath");
    Objects.requireNonNull(maxQueueWait, "maxQueueWait");
    Objects.requireNonNull(libraryPath, "libraryPath");
    if (slots < 1 || slots > 256) {
      throw new IllegalArgumentException("slots must be in 1..256: " + slots);
    }
    if (ctxPerSlot < 0) {
      throw new IllegalArgumentException("ctxPerSlot must be >= 0: " + ctxPerSlot);
    }
    if (threads < 1) {
      throw new IllegalArgumentException("threads must be >= 1: " + threads);
    }
    if (batchSize < slots) {
      throw new IllegalArgumentException("batchSize must be >= slots: " + batchSize);
    }
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queueCapacity must be >= 1: " + queueCapacity);
    }
    if (maxQueueWait.isNegative()) {
      throw new IllegalArgumentException("maxQueueWait must not be negative");
    }
  }

  /**
   * Defaults: 4 slots, context per slot capped at 4096, all processors, batch 512, queue 64, 30 s
   * wait.
   */
  public static LlamaEngineConfig of(String modelId, Path modelPath) {
    return new LlamaEngineConfig(
        modelId,
        modelPath,
        DEFAULT_SLOTS,
        DEFAULT_CTX_PER_SLOT,
        Runtime.getRuntime().availableProcessors(),
        DEFAULT_BATCH_SIZE,
        DEFAULT_QUEUE_CAPACITY,
        DEFAULT_MAX_QUEUE_WAIT,
        Optional.empty());
  }

  public LlamaEngineConfig withSlots(int value) {
    return new LlamaEngineConfig(
        modelId,
        modelPath,
        value,
        ctxPerSlot,
        threads,
        Math.max(batchSize, value),
        queueCapacity,
        maxQueueWait,
        libraryPath);
  }

  public LlamaEngineConfig withCtxPerSlot(int value) {
    return new LlamaEngineConfig(
        modelId,
        modelPath,
        slots,
        value,
        threads,
        batchSize,
        queueCapacity,
        maxQueueWait,
        libraryPath);
  }

  public LlamaEngineConfig withThreads(int value) {
    return new LlamaEngineConfig(
        modelId,
        modelPath,
        slots,
        ctxPerSlot,
        value,
        batchSize,
        queueCapacity,
        maxQueueWait,
        libraryPath);
  }

  public LlamaEngineConfig withBatchSize(int value) {
    return new LlamaEngineConfig(
        modelId,
        modelPath,
        slots,
        ctxPerSlot,
        threads,
        value,
        queueCapacity,
        maxQueueWait,
        libraryPath);
  }

  public LlamaEngineConfig withQueue(int capacity, Duration maxWait) {
    return new LlamaEngineConfig(
        modelId, modelPath, slots, ctxPerSlot, threads, batchSize, capacity, maxWait, libraryPath);
  }

  public LlamaEngineConfig withLibraryPath(Path value) {
    return new LlamaEngineConfig(
        modelId,
        modelPath,
        slots,
        ctxPerSlot,
        threads,
        batchSize,
        queueCapacity,
        maxQueueWait,
        Optional.of(value));
  }
}
