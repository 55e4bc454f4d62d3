package io.parley.inference.infrastructure.llama;

import io.parley.inference.domain.ChatMessage;
import io.parley.inference.domain.ContextLengthExceededException;
import io.parley.inference.domain.EngineFailureException;
import io.parley.inference.domain.EngineOverloadedException;
import io.parley.inference.domain.FinishReason;
import io.parley.inference.domain.Generation;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.InvalidGenerationRequestException;
import io.parley.inference.domain.ModelInfo;
import io.parley.inference.domain.Prompt;
import io.parley.inference.domain.SamplingParams;
import io.parley.inference.domain.TextEngine;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.TopLogprob;
import io.parley.inference.domain.Usage;
import io.parley.llama.ChatTurn;
import io.parley.llama.LlamaAdapter;
import io.parley.llama.LlamaException;
import io.parley.llama.LlamaLibrary;
import io.parley.llama.LlamaModel;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A {@link TextEngine} running a GGUF model in-process through llama.cpp, with continuous batching.
 *
 * <h2>Scheduling</h2>
 *
 * One decode thread per model owns the llama.cpp context. Each step it builds one batch holding the
 * next token of every running sequence of every request plus as many pending prompt tokens as fit
 * ({@code batchSize}), runs one {@code llama_decode}, and samples the next token of each sequence.
 * New requests join at the next step: their prompts are evaluated in chunks while other sequences
 * keep generating.
 *
 * <p>The context has {@code slots} sequences ({@code n_seq_max}) of up to {@code ctxPerSlot} tokens
 * each. A request with {@code best_of} (or {@code n}) k occupies k slots: its prompt is evaluated
 * once in the first and the KV cache is then shared with the others ({@code llama_kv_self_seq_cp}).
 * Requests wait in a bounded queue until enough slots are free; the queue serves organizations
 * round-robin. A request that waits longer than {@code maxQueueWait} fails with {@link
 * EngineOverloadedException}; so does {@link #generate} when the queue is full.
 *
 * <h2>Sampling and logprobs</h2>
 *
 * Sampling happens in Java on the logits of {@code llama_get_logits_ith}: see {@link TokenSampler}.
 * Reported logprobs are the log-softmax of the model's raw logits, i.e. the model's own
 * distribution before logit bias, penalties, temperature and top_p; {@code best_of} ranks sequences
 * by the mean of these logprobs over their tokens (including a final end-of-generation token).
 *
 * <h2>Output</h2>
 *
 * Text is emitted per token as it is produced, except bytes of an incomplete UTF-8 character and
 * text that may be the start of a stop string, which are held back. A stop string or an
 * end-of-generation token ends a choice with {@link FinishReason#STOP}; neither is emitted. The
 * end-of-generation token is not counted as a completion token. With {@code best_of > n} nothing is
 * reported until all sequences finished; then the best n are reported, re-indexed 0..n-1, each as
 * one delta.
 */
public final class LlamaEngine implements TextEngine {

  /** Most alternatives reported per token. */
  public static final int MAX_LOGPROBS = 20;

  /** Most stop strings per request. */
  public static final int MAX_STOP = 4;

  private static final System.Logger LOG = System.getLogger(LlamaEngine.class.getName());

  /**
   * Counters of the decode loop.
   *
   * @param decodeSteps {@code llama_decode} calls
   * @param batchedTokens tokens submitted over all steps
   * @param promptTokensEvaluated prompt tokens evaluated (once per request, not per choice)
   * @param generatedTokens completion tokens sampled (end-of-generation tokens excluded)
   * @param maxGeneratingPerStep most sequences that got their next token in one step
   */
  public record Stats(
      long decodeSteps,
      long batchedTokens,
      long promptTokensEvaluated,
      long generatedTokens,
      int maxGeneratingPerStep) {}

  private final LlamaEngineConfig config;
  private final LlamaModel model;
  private final LlamaAdapter adapter; // freed after the model's context; null for a base model
  private final ModelInfo info;
  private final int slots;
  private final int ctxPerSlot;

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private final FairQueue<Job> queue;
  private boolean closed; // guarded by lock
  private final Thread thread;

  // owned by the decode thread
  private final List<Job> active = new ArrayList<>();
  private final java.util.concurrent.atomic.AtomicInteger running =
      new java.util.concurrent.atomic.AtomicInteger(); // size of active, readable by any thread
  private final boolean[] slotFree;
  private int freeSlots;
  private final float[] logits;
  private int prefillBudget;

  private final long maxQueueWaitNanos;

  private final AtomicLong steps = new AtomicLong();
  private final AtomicLong batchedTokens = new AtomicLong();
  private final AtomicLong promptTokensEvaluated = new AtomicLong();
  private final AtomicLong generatedTokens = new AtomicLong();
  private volatile int maxGeneratingPerStep;
  private final EngineMeters meters;

  private LlamaEngine(LlamaEngineConfig config, LlamaModel model, LlamaAdapter adapter) {
    this.config = config;
    this.model = model;
    this.adapter = adapter;
    this.slots = config.slots();
    this.ctxPerSlot = model.ctxPerSlot;
    long created;
    try {
      created = Files.getLastModifiedTime(config.modelPath()).toInstant().getEpochSecond();
    } catch (IOException e) {
      created = System.currentTimeMillis() / 1000;
    }
    this.info =
        new ModelInfo(
            config.modelId(),
            model.metaString("general.organization").orElse("parley"),
            created,
            ctxPerSlot,
            model.vocabSize,
            model.hasFillInTheMiddle());
    this.queue = new FairQueue<>(config.queueCapacity());
    long wait;
    try {
      wait = config.maxQueueWait().toNanos();
    } catch (ArithmeticException e) {
      wait = Long.MAX_VALUE;
    }
    this.maxQueueWaitNanos = wait;
    this.slotFree = new boolean[slots];
    Arrays.fill(slotFree, true);
    this.freeSlots = slots;
    this.logits = new float[model.vocabSize];
    this.prefillBudget = model.batchCapacity();
    this.meters = new EngineMeters(config.modelId(), slots, this::stats);
    this.thread =
        Thread.ofPlatform()
            .name("llama-decode-" + config.modelId())
            .daemon(true)
            .unstarted(this::decodeLoop);
  }

  /**
   * Loads the model of {@code config} and starts its decode thread.
   *
   * @throws EngineFailureException when the library or the model cannot be loaded
   */
  public static LlamaEngine load(LlamaEngineConfig config) {
    LlamaModel model;
    try {
      LlamaLibrary library = LlamaLibrary.load(config.libraryPath());
      model =
          LlamaModel.load(
              library,
              config.modelPath(),
              config.ctxPerSlot(),
              config.slots(),
              config.batchSize(),
              config.threads());
    } catch (LlamaException e) {
      throw new EngineFailureException(e.getMessage(), e);
    }
    LlamaEngine engine;
    try {
      engine = new LlamaEngine(config, model, null);
    } catch (RuntimeException e) {
      model.close();
      throw e;
    }
    engine.thread.start();
    LOG.log(
        System.Logger.Level.INFO,
        "loaded model {0} from {1}: {2} slots x {3} tokens, vocabulary {4}",
        config.modelId(),
        config.modelPath(),
        engine.slots,
        engine.ctxPerSlot,
        model.vocabSize);
    return engine;
  }

  /**
   * Starts an engine for a LoRA adapter over the weights of {@code base}: the adapter is loaded for
   * the base model ({@code llama_adapter_lora_init}; the base weights are not copied) and applied
   * ({@code llama_set_adapter_lora}) to a context of its own with {@code slots} sequences, decoded
   * by a thread of its own, so its sequences never share a batch with the base model's or another
   * adapter's. Closing the engine frees its context and the adapter; close it before {@code base}.
   *
   * @param modelId the id the engine reports
   * @throws EngineFailureException when llama.cpp refuses the adapter or the context
   */
  public static LlamaEngine withAdapter(
      LlamaEngine base, String modelId, java.nio.file.Path adapterPath, int slots) {
    LlamaEngineConfig config =
        new LlamaEngineConfig(
            modelId,
            base.config.modelPath(),
            slots,
            base.config.ctxPerSlot(),
            base.config.threads(),
            Math.max(base.config.batchSize(), slots),
            base.config.queueCapacity(),
            base.config.maxQueueWait(),
            base.config.libraryPath());
    base.ensureOpen();
    LlamaModel context = null;
    LlamaAdapter adapter = null;
    LlamaEngine engine;
    try {
      adapter = base.model.loadAdapter(adapterPath);
      context = base.model.newContext(config.slots(), config.batchSize(), config.threads());
      context.setAdapter(adapter, 1f);
      engine = new LlamaEngine(config, context, adapter);
    } catch (LlamaException | EngineFailureException e) {
      if (context != null) {
        context.close();
      }
      if (adapter != null) {
        adapter.close();
      }
      throw e instanceof EngineFailureException f
          ? f
          : new EngineFailureException(e.getMessage(), e);
    }
    engine.thread.start();
    LOG.log(
        System.Logger.Level.INFO,
        "loaded adapter {0} over {1}: {2} slots x {3} tokens",
        modelId,
        base.config.modelId(),
        engine.slots,
        engine.ctxPerSlot);
    return engine;
  }

  /** Whether no request is queued or running. */
  @Override
  public boolean idle() {
    lock.lock();
    try {
      return closed || (queue.isEmpty() && running.get() == 0);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  public LlamaEngineConfig config() {
    return config;
  }

  public Stats stats() {
    return new Stats(
        steps.get(),
        batchedTokens.get(),
        promptTokensEvaluated.get(),
        generatedTokens.get(),
        maxGeneratingPerStep);
  }

  @Override
  public int[] tokenize(String text, boolean addSpecial) {
    ensureOpen();
    return model.tokenize(text, addSpecial, false);
  }

  @Override
  public String detokenize(int[] tokens) {
    ensureOpen();
    for (int t : tokens) {
      if (t < 0 || t >= model.vocabSize) {
        throw new InvalidGenerationRequestException(
            "token id " + t + " is outside the vocabulary", "prompt");
      }
    }
    return model.detokenize(tokens);
  }

  @Override
  public String renderChat(List<ChatMessage> messages) {
    ensureOpen();
    return model.renderChat(turns(messages), true);
  }

  private static List<ChatTurn> turns(List<ChatMessage> messages) {
    return messages.stream().map(m -> new ChatTurn(m.role(), m.content())).toList();
  }

  /** Package-private access to llama.cpp's template engine, for tests. */
  java.util.Optional<String> applyChatTemplate(String template, List<ChatMessage> messages) {
    return model.applyChatTemplate(template, turns(messages));
  }

  // ---- admission
  // ------------------------------------------------------------------------------------------------

  @Override
  public Generation generate(GenerationRequest request, GenerationSink sink) {
    ensureOpen();
    Job job = prepare(request, sink);
    lock.lock();
    try {
      if (closed) {
        throw new EngineFailureException("engine for model " + config.modelId() + " is closed");
      }
      if (!queue.offer(request.organization(), job)) {
        throw new EngineOverloadedException(
            "The server is overloaded: too many requests are waiting for model "
                + config.modelId()
                + ". Please retry later.");
      }
      meters.queued(queue.size());
      wake.signalAll();
    } finally {
      lock.unlock();
    }
    return job;
  }

  private Job prepare(GenerationRequest request, GenerationSink sink) {
    int n = request.n();
    int bestOf = request.bestOf();
    if (n < 1) {
      throw invalid("n must be at least 1", "n");
    }
    if (bestOf < n) {
      throw invalid("best_of must be greater than or equal to n", "best_of");
    }
    if (bestOf > slots) {
      throw invalid(
          (bestOf > n ? "best_of" : "n") + " must be at most " + slots + " for this model",
          bestOf > n ? "best_of" : "n");
    }
    if (request.stop().size() > MAX_STOP) {
      throw invalid("stop may contain at most " + MAX_STOP + " sequences", "stop");
    }
    if (request.logprobs().isPresent()) {
      int k = request.logprobs().getAsInt();
      if (k < 0 || k > MAX_LOGPROBS) {
        throw invalid("logprobs must be between 0 and " + MAX_LOGPROBS, "logprobs");
      }
    }
    if (request.maxTokens().isPresent() && request.maxTokens().getAsInt() < 0) {
      throw invalid("max_tokens must not be negative", "max_tokens");
    }
    validateSampling(request.sampling());

    String param = request.prompt() instanceof Prompt.Chat ? "messages" : "prompt";
    int[] prompt;
    String promptText;
    switch (request.prompt()) {
      case Prompt.Text(String text, var suffix) when suffix.isPresent() -> {
        if (!model.hasFillInTheMiddle()) {
          throw invalid("suffix is not supported for this model", "suffix");
        }
        int[] prefix = model.tokenize(text, false, false);
        int[] suf = model.tokenize(suffix.get(), false, false);
        int start = model.addBos && model.bos >= 0 ? 1 : 0;
        prompt = new int[start + prefix.length + suf.length + 3];
        int i = 0;
        if (start == 1) {
          prompt[i++] = model.bos;
        }
        prompt[i++] = model.fimPre;
        System.arraycopy(prefix, 0, prompt, i, prefix.length);
        i += prefix.length;
        prompt[i++] = model.fimSuf;
        System.arraycopy(suf, 0, prompt, i, suf.length);
        i += suf.length;
        prompt[i] = model.fimMid;
        promptText = text;
      }
      case Prompt.Text(String text, var ignored) -> {
        prompt = model.tokenize(text, true, false);
        promptText = text;
      }
      case Prompt.Tokens tokens -> {
        prompt = tokens.tokens();
        for (int t : prompt) {
          if (t < 0 || t >= model.vocabSize) {
            throw invalid(
                "prompt contains token id "
                    + t
                    + " outside the vocabulary (0.."
                    + (model.vocabSize - 1)
                    + ")",
                "prompt");
          }
        }
        promptText = model.detokenize(prompt);
      }
      case Prompt.Chat chat -> {
        if (chat.messages().isEmpty()) {
          throw invalid("messages must not be empty", "messages");
        }
        promptText = renderChat(chat.messages());
        prompt = model.tokenize(promptText, true, true);
      }
    }
    if (prompt.length == 0) {
      if (model.bos < 0) {
        throw invalid("prompt must not be empty", param);
      }
      prompt = new int[] {model.bos};
    }
    int maxTokens;
    if (request.maxTokens().isPresent()) {
      maxTokens = request.maxTokens().getAsInt();
      if (prompt.length + maxTokens > ctxPerSlot) {
        throw new ContextLengthExceededException(ctxPerSlot, prompt.length, maxTokens, param);
      }
    } else {
      if (prompt.length >= ctxPerSlot) {
        throw new ContextLengthExceededException(ctxPerSlot, prompt.length, 1, param);
      }
      maxTokens = ctxPerSlot - prompt.length;
    }
    return new Job(request, sink, prompt, promptText, maxTokens);
  }

  private void validateSampling(SamplingParams s) {
    if (!(s.temperature() >= 0 && s.temperature() <= 2)) {
      throw invalid("temperature must be between 0 and 2", "temperature");
    }
    if (!(s.topP() >= 0 && s.topP() <= 1)) {
      throw invalid("top_p must be between 0 and 1", "top_p");
    }
    if (!(s.presencePenalty() >= -2 && s.presencePenalty() <= 2)) {
      throw invalid("presence_penalty must be between -2 and 2", "presence_penalty");
    }
    if (!(s.frequencyPenalty() >= -2 && s.frequencyPenalty() <= 2)) {
      throw invalid("frequency_penalty must be between -2 and 2", "frequency_penalty");
    }
    for (Map.Entry<Integer, Double> e : s.logitBias().entrySet()) {
      if (e.getKey() < 0 || e.getKey() >= model.vocabSize) {
        throw invalid(
            "logit_bias contains token id "
                + e.getKey()
                + " outside the vocabulary (0.."
                + (model.vocabSize - 1)
                + ")",
            "logit_bias");
      }
      if (!(e.getValue() >= -100 && e.getValue() <= 100)) {
        throw invalid("logit_bias values must be between -100 and 100", "logit_bias");
      }
    }
  }

  private static InvalidGenerationRequestException invalid(String message, String param) {
    return new InvalidGenerationRequestException(message, param);
  }

  private void ensureOpen() {
    lock.lock();
    try {
      if (closed) {
        throw new EngineFailureException("engine for model " + config.modelId() + " is closed");
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      wake.signalAll();
    } finally {
      lock.unlock();
    }
    if (Thread.currentThread() == thread) {
      return; // the decode loop frees the model when it exits
    }
    try {
      thread.join(TimeUnit.SECONDS.toMillis(60));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.log(
          System.Logger.Level.WARNING,
          "decode thread of {0} did not stop; model not freed",
          config.modelId());
    }
  }

  // ---- decode loop
  // ----------------------------------------------------------------------------------------------

  private enum State {
    QUEUED,
    PREFILL,
    GENERATING
  }

  private void decodeLoop() {
    try {
      while (true) {
        List<Job> rejected = new ArrayList<>();
        lock.lock();
        try {
          if (closed) {
            break;
          }
          long now = System.nanoTime();
          long maxWait = maxQueueWaitNanos;
          rejected.addAll(queue.removeIf(j -> j.cancelRequested || now - j.enqueuedAt > maxWait));
          while (!queue.isEmpty() && queue.peek().seqs.length <= freeSlots) {
            admit(queue.poll());
          }
          meters.occupancy(queue.size(), slots - freeSlots);
          if (active.isEmpty() && rejected.isEmpty()) {
            if (queue.isEmpty()) {
              wake.await();
            } else {
              wake.await(10, TimeUnit.MILLISECONDS);
            }
            continue;
          }
        } finally {
          lock.unlock();
        }
        for (Job job : rejected) {
          if (job.cancelRequested) {
            for (int i = 0; i < job.request.n(); i++) {
              int index = i;
              call(job, () -> job.sink.onFinish(index, FinishReason.CANCELLED));
            }
            call(job, () -> job.sink.onComplete(new Usage(job.prompt.length, 0)));
          } else {
            call(
                job,
                () ->
                    job.sink.onError(
                        new EngineOverloadedException(
                            "The server is overloaded: the request waited longer than "
                                + config.maxQueueWait().toMillis()
                                + " ms for model "
                                + config.modelId()
                                + ". Please retry later.")));
          }
        }
        try {
          step();
        } catch (RuntimeException e) {
          LOG.log(System.Logger.Level.ERROR, "decode step failed", e);
          failAll(
              e instanceof EngineFailureException f
                  ? f
                  : new EngineFailureException(e.toString(), e));
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      LOG.log(System.Logger.Level.ERROR, "decode thread failed", t);
    } finally {
      shutdown();
    }
  }

  private void shutdown() {
    List<Job> queued;
    lock.lock();
    try {
      closed = true;
      queued = queue.drain();
    } finally {
      lock.unlock();
    }
    EngineFailureException error =
        new EngineFailureException("engine for model " + config.modelId() + " closed");
    for (Job job : queued) {
      call(job, () -> job.sink.onError(error));
    }
    for (Job job : List.copyOf(active)) {
      job.done = true;
      call(job, () -> job.sink.onError(error));
    }
    active.clear();
    meters.close();
    model.close();
    if (adapter != null) {
      adapter.close();
    }
  }

  private void admit(Job job) {
    for (Seq seq : job.seqs) {
      for (int id = 0; id < slots; id++) {
        if (slotFree[id]) {
          slotFree[id] = false;
          freeSlots--;
          seq.seqId = id;
          break;
        }
      }
    }
    job.state = State.PREFILL;
    active.add(job);
    running.incrementAndGet();
  }

  private record GenerationEntry(Job job, Seq seq, int batchIndex) {}

  private void step() {
    for (Job job : List.copyOf(active)) {
      if (job.cancelRequested) {
        for (Seq seq : job.seqs) {
          finishSeq(job, seq, FinishReason.CANCELLED, true);
        }
        completeJob(job);
      }
    }
    if (active.isEmpty()) {
      return;
    }
    model.batchClear();
    List<GenerationEntry> generating = new ArrayList<>();
    for (Job job : active) {
      if (job.state == State.GENERATING) {
        for (Seq seq : job.seqs) {
          if (!seq.finished) {
            int index = model.batchAdd(seq.lastToken, seq.nPast, seq.seqId, true);
            generating.add(new GenerationEntry(job, seq, index));
          }
        }
      }
    }
    List<Job> prefilling = new ArrayList<>();
    int budget = Math.min(prefillBudget, model.batchCapacity() - model.batchSize());
    for (Job job : active) {
      if (budget <= 0) {
        break;
      }
      if (job.state != State.PREFILL) {
        continue;
      }
      int take = Math.min(budget, job.prompt.length - job.promptCursor);
      job.chunkStart = job.promptCursor;
      job.chunkLength = take;
      job.chunkBatchStart = model.batchSize();
      int primary = job.seqs[0].seqId;
      for (int i = 0; i < take; i++) {
        int pos = job.chunkStart + i;
        boolean last = pos == job.prompt.length - 1;
        model.batchAdd(job.prompt[pos], pos, primary, last || job.promptLogits);
      }
      job.promptCursor += take;
      budget -= take;
      prefilling.add(job);
    }
    if (model.batchSize() == 0) {
      return;
    }

    int status = model.decode();
    if (status == 1 && !prefilling.isEmpty() && prefillBudget > 1) {
      // no contiguous room in the KV cache for this batch; nothing was evaluated: retry with
      // smaller chunks
      for (Job job : prefilling) {
        job.promptCursor = job.chunkStart;
      }
      prefillBudget = Math.max(1, prefillBudget / 2);
      LOG.log(
          System.Logger.Level.DEBUG,
          "KV cache has no room for the batch, prompt chunks reduced to {0}",
          prefillBudget);
      return;
    }
    if (status != 0) {
      throw new EngineFailureException("llama_decode failed with status " + status);
    }
    prefillBudget = Math.min(model.batchCapacity(), prefillBudget * 2);
    steps.incrementAndGet();
    batchedTokens.addAndGet(model.batchSize());
    meters.step(model.batchSize(), generating.size());
    if (generating.size() > maxGeneratingPerStep) {
      maxGeneratingPerStep = generating.size();
    }

    for (GenerationEntry entry : generating) {
      entry.seq.nPast++;
      model.logits(entry.batchIndex, logits);
      sampleAndAccept(entry.job, entry.seq, logits);
    }
    for (Job job : prefilling) {
      finishPrefillChunk(job);
    }
    for (Job job : List.copyOf(active)) {
      if (job.allFinished()) {
        completeJob(job);
      }
    }
  }

  private void finishPrefillChunk(Job job) {
    if (job.promptLogits) {
      for (int i = 0; i < job.chunkLength; i++) {
        int pos = job.chunkStart + i;
        if (pos + 1 < job.prompt.length) {
          model.logits(job.chunkBatchStart + i, logits);
          double[] lsm = TokenSampler.logSoftmax(logits, model.vocabSize);
          job.promptTokens[pos + 1] =
              tokenLogprob(job.prompt[pos + 1], lsm, job.logprobs, job.promptOffsets[pos + 1]);
        }
      }
    }
    if (job.promptCursor < job.prompt.length) {
      return;
    }
    promptTokensEvaluated.addAndGet(job.prompt.length);
    int primary = job.seqs[0].seqId;
    for (Seq seq : job.seqs) {
      if (seq.seqId != primary) {
        model.kvCopy(primary, seq.seqId);
      }
      seq.nPast = job.prompt.length;
    }
    job.state = State.GENERATING;
    if (job.request.echo() && !job.buffered) {
      List<TokenLogprob> promptTokens = List.of(job.promptTokens);
      for (Seq seq : job.seqs) {
        call(job, () -> job.sink.onEcho(seq.index, job.promptText, promptTokens));
      }
    }
    model.logits(job.chunkBatchStart + job.chunkLength - 1, logits);
    for (Seq seq : job.seqs) {
      sampleAndAccept(job, seq, logits);
    }
  }

  private void sampleAndAccept(Job job, Seq seq, float[] logits) {
    if (seq.finished) {
      return;
    }
    if (seq.generated >= job.maxTokens) {
      finishSeq(job, seq, FinishReason.LENGTH, true);
      return;
    }
    int token = seq.sampler.sample(logits);
    double[] lsm =
        job.logprobs >= 0 || job.buffered ? TokenSampler.logSoftmax(logits, model.vocabSize) : null;
    if (lsm != null) {
      seq.rankSum += lsm[token];
      seq.rankCount++;
    }
    if (model.eog[token]) {
      finishSeq(job, seq, FinishReason.STOP, true);
      return;
    }
    seq.generated++;
    job.completionTokens++;
    if (job.completionTokens == 1) {
      meters.firstToken(System.nanoTime() - job.enqueuedAt);
    }
    generatedTokens.incrementAndGet();
    seq.sampler.accept(token);
    TokenLogprob tokenLogprob =
        tokenLogprob(
            token, job.logprobs >= 0 ? lsm : null, job.logprobs, job.textBase + seq.decodedChars);
    String text = seq.utf8.append(model.pieces[token]);
    seq.decodedChars += text.length();
    StopMatcher.Result result = seq.stops.append(text);
    emitDelta(job, seq, result.emit(), List.of(tokenLogprob));
    if (result.stopped()) {
      finishSeq(job, seq, FinishReason.STOP, false);
    } else if (seq.generated >= job.maxTokens || job.prompt.length + seq.generated >= ctxPerSlot) {
      finishSeq(job, seq, FinishReason.LENGTH, true);
    } else {
      seq.lastToken = token;
    }
  }

  private TokenLogprob tokenLogprob(int token, double[] lsm, int topCount, int offset) {
    if (lsm == null) {
      return new TokenLogprob(
          token,
          model.pieceTexts[token],
          model.pieces[token].clone(),
          OptionalDouble.empty(),
          List.of(),
          offset);
    }
    List<TopLogprob> top = new ArrayList<>(Math.max(0, topCount));
    if (topCount > 0) {
      for (int t : TokenSampler.topK(lsm, topCount)) {
        top.add(new TopLogprob(t, model.pieceTexts[t], model.pieces[t].clone(), lsm[t]));
      }
    }
    return new TokenLogprob(
        token,
        model.pieceTexts[token],
        model.pieces[token].clone(),
        OptionalDouble.of(lsm[token]),
        top,
        offset);
  }

  private void emitDelta(Job job, Seq seq, String text, List<TokenLogprob> tokens) {
    if (job.buffered) {
      seq.bufferedText.append(text);
      seq.bufferedTokens.addAll(tokens);
      return;
    }
    if (text.isEmpty() && tokens.isEmpty()) {
      return;
    }
    call(job, () -> job.sink.onDelta(seq.index, text, tokens));
  }

  /**
   * Ends a sequence; with {@code flush}, held-back text is emitted first (it can still complete a
   * stop string).
   */
  private void finishSeq(Job job, Seq seq, FinishReason reason, boolean flush) {
    if (seq.finished) {
      return;
    }
    if (flush) {
      StopMatcher.Result tail = seq.stops.append(seq.utf8.flush());
      String text = tail.emit();
      if (tail.stopped()) {
        reason = FinishReason.STOP;
      } else {
        text += seq.stops.flush();
      }
      if (!text.isEmpty()) {
        emitDelta(job, seq, text, List.of());
      }
    }
    seq.finished = true;
    seq.reason = reason;
    if (!job.buffered) {
      FinishReason finalReason = reason;
      call(job, () -> job.sink.onFinish(seq.index, finalReason));
    }
    releaseSlot(seq);
  }

  private void releaseSlot(Seq seq) {
    if (seq.seqId >= 0) {
      model.kvRemove(seq.seqId);
      slotFree[seq.seqId] = true;
      freeSlots++;
      seq.seqId = -1;
    }
  }

  private void completeJob(Job job) {
    if (job.done) {
      return;
    }
    job.done = true;
    if (active.remove(job)) {
      running.decrementAndGet();
    }
    for (Seq seq : job.seqs) {
      releaseSlot(seq);
    }
    if (job.buffered) {
      Seq[] ranked = job.seqs.clone();
      Arrays.sort(ranked, Comparator.comparingDouble(Seq::meanLogprob).reversed());
      List<TokenLogprob> promptTokens = job.request.echo() ? List.of(job.promptTokens) : List.of();
      for (int i = 0; i < job.request.n(); i++) {
        Seq seq = ranked[i];
        int index = i;
        if (job.request.echo()) {
          call(job, () -> job.sink.onEcho(index, job.promptText, promptTokens));
        }
        String text = seq.bufferedText.toString();
        List<TokenLogprob> tokens = List.copyOf(seq.bufferedTokens);
        if (!text.isEmpty() || !tokens.isEmpty()) {
          call(job, () -> job.sink.onDelta(index, text, tokens));
        }
        FinishReason reason = seq.reason == null ? FinishReason.CANCELLED : seq.reason;
        call(job, () -> job.sink.onFinish(index, reason));
      }
    }
    Usage usage = new Usage(job.prompt.length, job.completionTokens);
    call(job, () -> job.sink.onComplete(usage));
  }

  private void failAll(EngineFailureException error) {
    for (Job job : List.copyOf(active)) {
      job.done = true;
      for (Seq seq : job.seqs) {
        seq.finished = true;
        if (seq.seqId >= 0) {
          slotFree[seq.seqId] = true;
          freeSlots++;
          seq.seqId = -1;
        }
      }
      call(job, () -> job.sink.onError(error));
    }
    active.clear();
    running.set(0);
    try {
      model.kvClear();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "cannot clear the KV cache", e);
    }
  }

  /** Calls the sink; a throwing sink cancels its generation. */
  private static void call(Job job, Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "sink of request " + job.request.requestId() + " failed; cancelling it",
          e);
      job.cancelRequested = true;
    }
  }

  // ---- per-request state
  // ----------------------------------------------------------------------------------------

  private final class Job implements Generation {
    final GenerationRequest request;
    final GenerationSink sink;
    final int[] prompt;
    final String promptText;
    final int maxTokens;

    /** Number of top alternatives to report, -1 when logprobs were not requested. */
    final int logprobs;

    /** best_of &gt; n: results are collected and the best n reported at the end. */
    final boolean buffered;

    /** echo with logprobs: logits are needed for every prompt position. */
    final boolean promptLogits;

    final TokenLogprob[] promptTokens;
    final int[] promptOffsets;
    final int textBase;
    final Seq[] seqs;
    final long enqueuedAt = System.nanoTime();
    volatile boolean cancelRequested;
    State state = State.QUEUED;
    int promptCursor;
    int chunkStart;
    int chunkLength;
    int chunkBatchStart;
    int completionTokens;
    boolean done;

    Job(
        GenerationRequest request,
        GenerationSink sink,
        int[] prompt,
        String promptText,
        int maxTokens) {
      this.request = request;
      this.sink = sink;
      this.prompt = prompt;
      this.promptText = promptText;
      this.maxTokens = maxTokens;
      this.logprobs = request.logprobs().orElse(-1);
      this.buffered = request.bestOf() > request.n();
      this.promptLogits = request.echo() && logprobs >= 0;
      this.textBase = request.echo() ? promptText.length() : 0;
      if (request.echo()) {
        promptOffsets = promptOffsets(prompt, promptText);
        promptTokens = new TokenLogprob[prompt.length];
        for (int i = 0; i < prompt.length; i++) {
          int t = prompt[i];
          promptTokens[i] =
              new TokenLogprob(
                  t,
                  model.pieceTexts[t],
                  model.pieces[t].clone(),
                  OptionalDouble.empty(),
                  List.of(),
                  promptOffsets[i]);
        }
      } else {
        promptOffsets = new int[0];
        promptTokens = new TokenLogprob[0];
      }
      long baseSeed =
          request.sampling().seed().orElseGet(() -> ThreadLocalRandom.current().nextLong());
      seqs = new Seq[request.bestOf()];
      for (int i = 0; i < seqs.length; i++) {
        seqs[i] =
            new Seq(
                i,
                new TokenSampler(
                    request.sampling(), model.vocabSize, TokenSampler.sequenceSeed(baseSeed, i)),
                new StopMatcher(request.stop()));
      }
    }

    /** Character offsets of the prompt tokens in the prompt text. */
    private int[] promptOffsets(int[] tokens, String text) {
      int[] offsets = new int[tokens.length];
      Utf8Accumulator utf8 = new Utf8Accumulator();
      StringBuilder decoded = new StringBuilder();
      for (int i = 0; i < tokens.length; i++) {
        offsets[i] = decoded.length();
        decoded.append(utf8.append(model.pieces[tokens[i]]));
      }
      // SentencePiece vocabularies render a leading space the prompt text does not have
      int shift = decoded.length() > 0 && decoded.charAt(0) == ' ' && !text.startsWith(" ") ? 1 : 0;
      for (int i = 0; i < offsets.length; i++) {
        offsets[i] = Math.max(0, Math.min(text.length(), offsets[i] - shift));
      }
      return offsets;
    }

    boolean allFinished() {
      for (Seq seq : seqs) {
        if (!seq.finished) {
          return false;
        }
      }
      return true;
    }

    @Override
    public void cancel() {
      cancelRequested = true;
      lock.lock();
      try {
        wake.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  private static final class Seq {
    final int index;
    final TokenSampler sampler;
    final StopMatcher stops;
    final Utf8Accumulator utf8 = new Utf8Accumulator();
    final StringBuilder bufferedText = new StringBuilder();
    final List<TokenLogprob> bufferedTokens = new ArrayList<>();
    int seqId = -1;
    int nPast;
    int generated;
    int lastToken;
    int decodedChars;
    double rankSum;
    int rankCount;
    boolean finished;
    FinishReason reason;

    Seq(int index, TokenSampler sampler, StopMatcher stops) {
      this.index = index;
      this.sampler = sampler;
      this.stops = stops;
    }

    double meanLogprob() {
      return rankCount == 0 ? Double.NEGATIVE_INFINITY : rankSum / rankCount;
    }
  }
}
