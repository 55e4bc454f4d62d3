package io.parley.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A loaded GGUF model with one llama.cpp context and one batch: the native side of inference's
 * engine and of the trainer's reference checks.
 *
 * <p>Tokenization, detokenization and chat rendering only read the vocabulary and may be called
 * from any thread. Batch, decode, logits and KV-cache methods must be called from a single thread
 * (the engine's decode thread).
 */
public final class LlamaModel implements AutoCloseable {

  private final LlamaLibrary lib;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment model;
  private final MemorySegment vocab;
  private final MemorySegment context;
  private final MemorySegment batch;
  private final int batchCapacity;
  private final MemorySegment batchTokens;
  private final MemorySegment batchPos;
  private final MemorySegment batchNSeqId;
  private final MemorySegment[] batchSeqIds;
  private final MemorySegment batchLogits;
  private int batchSize;

  public final int vocabSize;
  public final int nCtxTrain;

  /** Tokens one sequence may hold: the training context capped by the configuration. */
  public final int ctxPerSlot;

  /** Tokens the context holds for all sequences together. */
  public final int nCtx;

  public final int bos;
  public final boolean addBos;
  public final int fimPre;
  public final int fimSuf;
  public final int fimMid;
  public final String chatTemplate;

  /**
   * Whether the tokenizer puts a space before the text (SentencePiece {@code add_space_prefix}).
   */
  public final boolean addsSpacePrefix;

  /** Raw bytes of every token's text (special tokens render as empty). */
  public final byte[][] pieces;

  /** Text of every token's bytes on their own (incomplete UTF-8 as U+FFFD). */
  public final String[] pieceTexts;

  /** End-of-generation tokens. */
  public final boolean[] eog;

  /** Held (shared) by vocabulary calls from any thread, exclusively by {@link #close()}. */
  private final ReentrantReadWriteLock guard = new ReentrantReadWriteLock();

  private volatile boolean closed;

  private final java.util.Set<LlamaAdapter> adapters =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  /** The model whose weights this context uses, or {@code null} when this object owns them. */
  private final LlamaModel owner;

  /**
   * Held by {@link #decode()} of every context over these weights: llama.cpp b4916 (as bundled)
   * computes wrong logits when two contexts of one model decode at the same time, so they take
   * turns (one context decoding alone never waits).
   */
  private final java.util.concurrent.locks.ReentrantLock decodeLock;

  /** Contexts made with {@link #newContext} and not closed yet. */
  private final java.util.Set<LlamaModel> views =
      java.util.concurrent.ConcurrentHashMap.newKeySet();

  private LlamaModel(
      LlamaLibrary lib,
      Path path,
      int ctxPerSlotCap,
      int nSeqMax,
      int batchCapacity,
      int threads,
      boolean f32KvCache)
      throws Throwable {
    this.lib = lib;
    MemorySegment mparams = lib.modelDefaultParams(arena);
    LlamaLayouts.setBoolean(mparams, LlamaLayouts.MODEL_PARAMS, "use_mmap", true);
    model =
        (MemorySegment)
            lib.modelLoadFromFile.invokeExact(arena.allocateFrom(path.toString()), mparams);
    if (model.equals(MemorySegment.NULL)) {
      throw new LlamaException("llama.cpp could not load model " + path);
    }
    try {
      vocab = (MemorySegment) lib.modelGetVocab.invokeExact(model);
      vocabSize = (int) lib.vocabNTokens.invokeExact(vocab);
      nCtxTrain = (int) lib.modelNCtxTrain.invokeExact(model);
      bos = (int) lib.vocabBos.invokeExact(vocab);
      addBos = (boolean) lib.vocabGetAddBos.invokeExact(vocab);
      fimPre = (int) lib.vocabFimPre.invokeExact(vocab);
      fimSuf = (int) lib.vocabFimSuf.invokeExact(vocab);
      fimMid = (int) lib.vocabFimMid.invokeExact(vocab);
      MemorySegment tmpl =
          (MemorySegment) lib.modelChatTemplate.invokeExact(model, MemorySegment.NULL);
      chatTemplate =
          tmpl.equals(MemorySegment.NULL) ? null : tmpl.reinterpret(Long.MAX_VALUE).getString(0);
      pieces = new byte[vocabSize][];
      pieceTexts = new String[vocabSize];
      eog = new boolean[vocabSize];
      for (int t = 0; t < vocabSize; t++) {
        pieces[t] = piece(t);
        pieceTexts[t] = new String(pieces[t], StandardCharsets.UTF_8);
        eog[t] = (boolean) lib.vocabIsEog.invokeExact(vocab, t);
      }
    } catch (Throwable t) {
      lib.modelFree.invokeExact(model);
      throw t;
    }
    int[] probe = tokenize("a", false, false);
    addsSpacePrefix = probe.length > 0 && pieces[probe[0]].length > 0 && pieces[probe[0]][0] == ' ';

    ctxPerSlot = ctxPerSlotCap > 0 ? Math.min(ctxPerSlotCap, nCtxTrain) : nCtxTrain;
    this.owner = null;
    this.decodeLock = new java.util.concurrent.locks.ReentrantLock();
    if (nSeqMax > 0) {
      Context c;
      try {
        c =
            Context.create(
                lib, arena, model, ctxPerSlot, nSeqMax, batchCapacity, threads, f32KvCache);
      } catch (Throwable t) {
        lib.modelFree.invokeExact(model);
        throw t;
      }
      context = c.context;
      nCtx = c.nCtx;
      this.batchCapacity = batchCapacity;
      batch = c.batch;
      batchTokens = c.tokens;
      batchPos = c.pos;
      batchNSeqId = c.nSeqId;
      batchLogits = c.logits;
      batchSeqIds = c.seqIds;
    } else {
      context = MemorySegment.NULL;
      batch = MemorySegment.NULL;
      this.nCtx = 0;
      this.batchCapacity = 0;
      batchTokens = batchPos = batchNSeqId = batchLogits = MemorySegment.NULL;
      batchSeqIds = new MemorySegment[0];
    }
  }

  /** A second context over the weights of {@code owner}: see {@link #newContext}. */
  private LlamaModel(LlamaModel owner, int nSeqMax, int batchCapacity, int threads)
      throws Throwable {
    this.lib = owner.lib;
    this.owner = owner;
    this.decodeLock = owner.decodeLock;
    this.model = owner.model;
    this.vocab = owner.vocab;
    this.vocabSize = owner.vocabSize;
    this.nCtxTrain = owner.nCtxTrain;
    this.bos = owner.bos;
    this.addBos = owner.addBos;
    this.fimPre = owner.fimPre;
    this.fimSuf = owner.fimSuf;
    this.fimMid = owner.fimMid;
    this.chatTemplate = owner.chatTemplate;
    this.pieces = owner.pieces;
    this.pieceTexts = owner.pieceTexts;
    this.eog = owner.eog;
    this.addsSpacePrefix = owner.addsSpacePrefix;
    this.ctxPerSlot = owner.ctxPerSlot;
    Context c =
        Context.create(lib, arena, model, ctxPerSlot, nSeqMax, batchCapacity, threads, false);
    context = c.context;
    nCtx = c.nCtx;
    this.batchCapacity = batchCapacity;
    batch = c.batch;
    batchTokens = c.tokens;
    batchPos = c.pos;
    batchNSeqId = c.nSeqId;
    batchLogits = c.logits;
    batchSeqIds = c.seqIds;
  }

  /** A llama.cpp context and its batch. */
  private record Context(
      MemorySegment context,
      int nCtx,
      MemorySegment batch,
      MemorySegment tokens,
      MemorySegment pos,
      MemorySegment nSeqId,
      MemorySegment logits,
      MemorySegment[] seqIds) {

    static Context create(
        LlamaLibrary lib,
        Arena arena,
        MemorySegment model,
        int ctxPerSlot,
        int nSeqMax,
        int batchCapacity,
        int threads,
        boolean f32KvCache)
        throws Throwable {
      int nCtx = ctxPerSlot * nSeqMax;
      MemorySegment cparams = lib.contextDefaultParams(arena);
      LlamaLayouts.setInt(cparams, LlamaLayouts.CONTEXT_PARAMS, "n_ctx", nCtx);
      LlamaLayouts.setInt(cparams, LlamaLayouts.CONTEXT_PARAMS, "n_batch", batchCapacity);
      LlamaLayouts.setInt(cparams, LlamaLayouts.CONTEXT_PARAMS, "n_ubatch", batchCapacity);
      LlamaLayouts.setInt(cparams, LlamaLayouts.CONTEXT_PARAMS, "n_seq_max", nSeqMax);
      LlamaLayouts.setInt(cparams, LlamaLayouts.CONTEXT_PARAMS, "n_threads", threads);
      LlamaLayouts.setInt(cparams, LlamaLayouts.CONTEXT_PARAMS, "n_threads_batch", threads);
      // defragment the KV cache when more than 10% of it is holes, so prompt chunks find contiguous
      // cells
      LlamaLayouts.setFloat(cparams, LlamaLayouts.CONTEXT_PARAMS, "defrag_thold", 0.1f);
      LlamaLayouts.setBoolean(cparams, LlamaLayouts.CONTEXT_PARAMS, "no_perf", true);
      if (f32KvCache) {
        LlamaLayouts.setInt(cparams, LlamaLayouts.CONTEXT_PARAMS, "type_k", 0); // GGML_TYPE_F32
        LlamaLayouts.setInt(cparams, LlamaLayouts.CONTEXT_PARAMS, "type_v", 0);
      }
      MemorySegment context = (MemorySegment) lib.initFromModel.invokeExact(model, cparams);
      if (context.equals(MemorySegment.NULL)) {
        throw new LlamaException("llama.cpp could not create a context of " + nCtx + " tokens");
      }
      int actual = (int) lib.nCtx.invokeExact(context);
      MemorySegment batch =
          (MemorySegment) lib.batchInit.invokeExact((SegmentAllocator) arena, batchCapacity, 0, 1);
      MemorySegment tokens =
          LlamaLayouts.getAddress(batch, LlamaLayouts.BATCH, "token")
              .reinterpret(4L * batchCapacity);
      MemorySegment pos =
          LlamaLayouts.getAddress(batch, LlamaLayouts.BATCH, "pos").reinterpret(4L * batchCapacity);
      MemorySegment nSeqId =
          LlamaLayouts.getAddress(batch, LlamaLayouts.BATCH, "n_seq_id")
              .reinterpret(4L * batchCapacity);
      MemorySegment logits =
          LlamaLayouts.getAddress(batch, LlamaLayouts.BATCH, "logits").reinterpret(batchCapacity);
      MemorySegment seqIdsSeg =
          LlamaLayouts.getAddress(batch, LlamaLayouts.BATCH, "seq_id")
              .reinterpret(ADDRESS.byteSize() * batchCapacity);
      MemorySegment[] seqIds = new MemorySegment[batchCapacity];
      for (int i = 0; i < batchCapacity; i++) {
        seqIds[i] = seqIdsSeg.getAtIndex(ADDRESS, i).reinterpret(4);
      }
      return new Context(context, actual, batch, tokens, pos, nSeqId, logits, seqIds);
    }
  }

  /**
   * A second llama.cpp context (with its own KV cache and batch) over this model's weights, which
   * are not copied: for sequences that must not share a batch with this context's, such as those of
   * a LoRA adapter ({@link #setAdapter} on the new context). The new context shares the vocabulary;
   * {@link #loadAdapter} on it loads the adapter for this model. Close it before this model;
   * closing this model closes the contexts still open, which must then be idle.
   *
   * @param nSeqMax parallel sequences of the new context, each of {@link #ctxPerSlot} tokens
   * @param batchCapacity tokens per decode step
   * @param threads CPU threads for decoding
   */
  public LlamaModel newContext(int nSeqMax, int batchCapacity, int threads) {
    if (owner != null) {
      return owner.newContext(nSeqMax, batchCapacity, threads);
    }
    if (nSeqMax < 1 || batchCapacity < nSeqMax || threads < 1) {
      throw new LlamaException(
          "a context needs 1+ sequences, a batch of at least that many tokens and 1+ threads");
    }
    Lock read = readLock();
    try {
      LlamaModel view = new LlamaModel(this, nSeqMax, batchCapacity, threads);
      views.add(view);
      return view;
    } catch (LlamaException e) {
      throw e;
    } catch (Throwable t) {
      throw new LlamaException("cannot create a context: " + t, t);
    } finally {
      read.unlock();
    }
  }

  /**
   * Loads a model and creates a context for {@code nSeqMax} sequences of up to {@code
   * ctxPerSlotCap} tokens each (the training context when 0 or larger); with {@code nSeqMax == 0}
   * only the model is loaded, without a context (tokenizer-only use).
   */
  public static LlamaModel load(
      LlamaLibrary lib, Path path, int ctxPerSlotCap, int nSeqMax, int batchCapacity, int threads) {
    if (!Files.isRegularFile(path)) {
      throw new LlamaException("model file not found: " + path);
    }
    try {
      return new LlamaModel(lib, path, ctxPerSlotCap, nSeqMax, batchCapacity, threads, false);
    } catch (LlamaException e) {
      throw e;
    } catch (Throwable t) {
      throw new LlamaException("cannot load model " + path + ": " + t, t);
    }
  }

  /**
   * Loads a model with one sequence of {@code nCtx} tokens, all of which fit one batch, and an F32
   * KV cache: the configuration for reading exact logits of whole sequences ({@link #logitsAll}).
   */
  public static LlamaModel loadForLogits(LlamaLibrary lib, Path path, int nCtx, int threads) {
    if (!Files.isRegularFile(path)) {
      throw new LlamaException("model file not found: " + path);
    }
    try {
      return new LlamaModel(lib, path, nCtx, 1, nCtx, threads, true);
    } catch (LlamaException e) {
      throw e;
    } catch (Throwable t) {
      throw new LlamaException("cannot load model " + path + ": " + t, t);
    }
  }

  /**
   * Runs {@code tokens} as one fresh sequence (the KV cache is cleared first) and returns the
   * logits of every position, read with {@code llama_get_logits}: {@code [tokens.length][vocab]}.
   */
  public float[][] logitsAll(int[] tokens) {
    if (tokens.length == 0 || tokens.length > batchCapacity) {
      throw new LlamaException(
          "logitsAll takes 1 to " + batchCapacity + " tokens, not " + tokens.length);
    }
    kvClear();
    batchClear();
    for (int i = 0; i < tokens.length; i++) {
      batchAdd(tokens[i], i, 0, true);
    }
    int rc = decode();
    if (rc != 0) {
      throw new LlamaException("llama_decode failed: " + rc);
    }
    try {
      MemorySegment p = (MemorySegment) lib.getLogits.invokeExact(context);
      if (p.equals(MemorySegment.NULL)) {
        throw new LlamaException("llama_get_logits returned no logits");
      }
      MemorySegment all = p.reinterpret(4L * vocabSize * tokens.length);
      float[][] out = new float[tokens.length][vocabSize];
      for (int i = 0; i < tokens.length; i++) {
        MemorySegment.copy(all, JAVA_FLOAT, 4L * vocabSize * i, out[i], 0, vocabSize);
      }
      return out;
    } catch (LlamaException e) {
      throw e;
    } catch (Throwable t) {
      throw LlamaLibrary.rethrow("llama_get_logits", t);
    }
  }

  /**
   * Greedy decoding of up to {@code maxTokens} tokens after {@code prompt} (one fresh sequence),
   * stopping at an end-of-generation token; returns the generated tokens.
   */
  public int[] greedy(int[] prompt, int maxTokens) {
    int[] out = new int[maxTokens];
    int n = 0;
    kvClear();
    batchClear();
    for (int i = 0; i < prompt.length; i++) {
      batchAdd(prompt[i], i, 0, i == prompt.length - 1);
    }
    float[] row = new float[vocabSize];
    int pos = prompt.length;
    while (n < maxTokens) {
      if (decode() != 0) {
        throw new LlamaException("llama_decode failed");
      }
      logits(batchSize - 1, row);
      int best = 0;
      for (int t = 1; t < vocabSize; t++) {
        if (row[t] > row[best]) {
          best = t;
        }
      }
      if (eog[best] || pos >= nCtx) {
        break;
      }
      out[n++] = best;
      batchClear();
      batchAdd(best, pos++, 0, true);
    }
    return java.util.Arrays.copyOf(out, n);
  }

  /**
   * Loads a GGUF LoRA adapter for this model with {@code llama_adapter_lora_init}.
   *
   * @throws LlamaException when llama.cpp refuses the file (it logs why)
   */
  public LlamaAdapter loadAdapter(Path adapterPath) {
    if (owner != null) {
      return owner.loadAdapter(adapterPath);
    }
    Lock read = readLock();
    try (Arena local = Arena.ofConfined()) {
      MemorySegment handle =
          (MemorySegment)
              lib.adapterLoraInit.invokeExact(model, local.allocateFrom(adapterPath.toString()));
      if (handle.equals(MemorySegment.NULL)) {
        throw new LlamaException("llama.cpp refused the LoRA adapter " + adapterPath);
      }
      LlamaAdapter adapter = new LlamaAdapter(this, handle);
      adapters.add(adapter);
      return adapter;
    } catch (LlamaException e) {
      throw e;
    } catch (Throwable t) {
      throw LlamaLibrary.rethrow("llama_adapter_lora_init", t);
    } finally {
      read.unlock();
    }
  }

  /** Applies {@code adapter} to this model's context with {@code scale} (decode thread only). */
  public void setAdapter(LlamaAdapter adapter, float scale) {
    try {
      int rc = (int) lib.setAdapterLora.invokeExact(context, adapter.handle(), scale);
      if (rc != 0) {
        throw new LlamaException("llama_set_adapter_lora failed: " + rc);
      }
    } catch (LlamaException e) {
      throw e;
    } catch (Throwable t) {
      throw LlamaLibrary.rethrow("llama_set_adapter_lora", t);
    }
  }

  /** Removes every adapter from this model's context (decode thread only). */
  public void clearAdapters() {
    try {
      lib.clearAdapterLora.invokeExact(context);
    } catch (Throwable t) {
      throw LlamaLibrary.rethrow("llama_clear_adapter_lora", t);
    }
  }

  void freeAdapter(LlamaAdapter adapter) {
    if (adapters.remove(adapter)) {
      try {
        lib.adapterLoraFree.invokeExact(adapter.handle());
      } catch (Throwable t) {
        throw LlamaLibrary.rethrow("llama_adapter_lora_free", t);
      }
    }
  }

  /** An integer GGUF metadata value, or {@code fallback} when absent or not a number. */
  public int metaInt(String key, int fallback) {
    return metaString(key)
        .map(
            s -> {
              try {
                return Integer.parseInt(s.trim());
              } catch (NumberFormatException e) {
                return fallback;
              }
            })
        .orElse(fallback);
  }

  public Optional<String> metaString(String key) {
    Lock read = readLock();
    try {
      try (Arena local = Arena.ofConfined()) {
        MemorySegment buf = local.allocate(4096);
        int n = (int) lib.modelMetaValStr.invokeExact(model, local.allocateFrom(key), buf, 4096L);
        return n < 0 ? Optional.empty() : Optional.of(buf.getString(0));
      } catch (Throwable t) {
        throw LlamaLibrary.rethrow("llama_model_meta_val_str", t);
      }
    } finally {
      read.unlock();
    }
  }

  public boolean hasFillInTheMiddle() {
    return fimPre >= 0 && fimSuf >= 0 && fimMid >= 0;
  }

  // ---- vocabulary
  // ---------------------------------------------------------------------------------------------

  public int[] tokenize(String text, boolean addSpecial, boolean parseSpecial) {
    Lock read = readLock();
    try {
      byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
      try (Arena local = Arena.ofConfined()) {
        MemorySegment textSeg = local.allocate(utf8.length + 1L);
        MemorySegment.copy(utf8, 0, textSeg, JAVA_BYTE, 0, utf8.length);
        int capacity = utf8.length + 8;
        MemorySegment out = local.allocate(JAVA_INT, capacity);
        int n =
            (int)
                lib.tokenize.invokeExact(
                    vocab, textSeg, utf8.length, out, capacity, addSpecial, parseSpecial);
        if (n < 0) {
          capacity = -n;
          out = local.allocate(JAVA_INT, capacity);
          n =
              (int)
                  lib.tokenize.invokeExact(
                      vocab, textSeg, utf8.length, out, capacity, addSpecial, parseSpecial);
        }
        if (n < 0) {
          throw new LlamaException("llama_tokenize failed: " + n);
        }
        return out.asSlice(0, 4L * n).toArray(JAVA_INT);
      } catch (Throwable t) {
        throw LlamaLibrary.rethrow("llama_tokenize", t);
      }
    } finally {
      read.unlock();
    }
  }

  public String detokenize(int[] tokens) {
    Lock read = readLock();
    try {
      try (Arena local = Arena.ofConfined()) {
        MemorySegment in = local.allocateFrom(JAVA_INT, tokens);
        int capacity = tokens.length * 16 + 16;
        MemorySegment out = local.allocate(capacity);
        int n =
            (int) lib.detokenize.invokeExact(vocab, in, tokens.length, out, capacity, true, false);
        if (n < 0) {
          capacity = -n;
          out = local.allocate(capacity);
          n =
              (int)
                  lib.detokenize.invokeExact(vocab, in, tokens.length, out, capacity, true, false);
        }
        if (n < 0) {
          throw new LlamaException("llama_detokenize failed: " + n);
        }
        String text = new String(out.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8);
        // undo the space the tokenizer puts before the text
        return addsSpacePrefix && text.startsWith(" ") ? text.substring(1) : text;
      } catch (Throwable t) {
        throw LlamaLibrary.rethrow("llama_detokenize", t);
      }
    } finally {
      read.unlock();
    }
  }

  private byte[] piece(int token) throws Throwable {
    try (Arena local = Arena.ofConfined()) {
      MemorySegment buf = local.allocate(64);
      int n = (int) lib.tokenToPiece.invokeExact(vocab, token, buf, 64, 0, false);
      if (n < 0) {
        buf = local.allocate(-n);
        n = (int) lib.tokenToPiece.invokeExact(vocab, token, buf, -n, 0, false);
      }
      return n <= 0 ? new byte[0] : buf.asSlice(0, n).toArray(JAVA_BYTE);
    }
  }

  /**
   * Applies a chat template llama.cpp knows (by name such as {@code "chatml"} or by its Jinja
   * source) with an open assistant turn; empty when llama.cpp does not recognise the template.
   */
  public Optional<String> applyChatTemplate(String template, List<ChatTurn> messages) {
    return applyChatTemplate(template, messages, true);
  }

  /**
   * Renders a conversation the way it is served: with the model's own chat template when it has one
   * llama.cpp recognises, otherwise as ChatML. With {@code addAssistant} an open assistant turn
   * follows (a prompt); without, the conversation ends after its last message (training data).
   */
  public String renderChat(List<ChatTurn> messages, boolean addAssistant) {
    if (chatTemplate != null) {
      Optional<String> rendered = applyChatTemplate(chatTemplate, messages, addAssistant);
      if (rendered.isPresent()) {
        return rendered.get();
      }
    }
    return chatMl(messages, addAssistant);
  }

  /** Renders messages in ChatML, with an open assistant turn when {@code addAssistant}. */
  public static String chatMl(List<ChatTurn> messages, boolean addAssistant) {
    StringBuilder sb = new StringBuilder();
    for (ChatTurn m : messages) {
      sb.append("<|im_start|>")
          .append(m.role())
          .append('\n')
          .append(m.content())
          .append("<|im_end|>\n");
    }
    if (addAssistant) {
      sb.append("<|im_start|>assistant\n");
    }
    return sb.toString();
  }

  /**
   * Applies a chat template llama.cpp knows, with an open assistant turn when {@code addAssistant};
   * empty when llama.cpp does not recognise the template.
   */
  public Optional<String> applyChatTemplate(
      String template, List<ChatTurn> messages, boolean addAssistant) {
    Lock read = readLock();
    try {
      try (Arena local = Arena.ofConfined()) {
        MemorySegment chat =
            local.allocate(LlamaLayouts.CHAT_MESSAGE, Math.max(1, messages.size()));
        long chars = 0;
        for (int i = 0; i < messages.size(); i++) {
          ChatTurn m = messages.get(i);
          MemorySegment entry =
              chat.asSlice(i * LlamaLayouts.CHAT_MESSAGE.byteSize(), LlamaLayouts.CHAT_MESSAGE);
          entry.set(ADDRESS, 0, local.allocateFrom(m.role()));
          entry.set(ADDRESS, ADDRESS.byteSize(), local.allocateFrom(m.content()));
          chars += m.role().length() + m.content().length();
        }
        MemorySegment tmpl = local.allocateFrom(template);
        int capacity = (int) Math.min(Integer.MAX_VALUE - 8, 4 * chars + 1024);
        MemorySegment buf = local.allocate(capacity);
        int n =
            (int)
                lib.chatApplyTemplate.invokeExact(
                    tmpl, chat, (long) messages.size(), addAssistant, buf, capacity);
        if (n > capacity) {
          capacity = n;
          buf = local.allocate(capacity);
          n =
              (int)
                  lib.chatApplyTemplate.invokeExact(
                      tmpl, chat, (long) messages.size(), addAssistant, buf, capacity);
        }
        if (n < 0) {
          return Optional.empty();
        }
        return Optional.of(
            new String(buf.asSlice(0, n).toArray(JAVA_BYTE), StandardCharsets.UTF_8));
      } catch (Throwable t) {
        throw LlamaLibrary.rethrow("llama_chat_apply_template", t);
      }
    } finally {
      read.unlock();
    }
  }

  private Lock readLock() {
    Lock read = guard.readLock();
    read.lock();
    if (closed) {
      read.unlock();
      throw new LlamaException("model is closed");
    }
    return read;
  }

  // ---- batch and decoding (decode thread only)
  // ------------------------------------------------------------------

  public int batchCapacity() {
    return batchCapacity;
  }

  public int batchSize() {
    return batchSize;
  }

  public void batchClear() {
    batchSize = 0;
  }

  /** Adds a token to the batch; returns its index in the batch. */
  public int batchAdd(int token, int pos, int seqId, boolean wantLogits) {
    int i = batchSize++;
    batchTokens.setAtIndex(JAVA_INT, i, token);
    batchPos.setAtIndex(JAVA_INT, i, pos);
    batchNSeqId.setAtIndex(JAVA_INT, i, 1);
    batchSeqIds[i].set(JAVA_INT, 0, seqId);
    batchLogits.set(JAVA_BYTE, i, (byte) (wantLogits ? 1 : 0));
    return i;
  }

  /**
   * Runs the model on the batch.
   *
   * @return 0 on success, 1 when the KV cache has no room for the batch (nothing was changed),
   *     negative on error
   */
  public int decode() {
    LlamaLayouts.setInt(batch, LlamaLayouts.BATCH, "n_tokens", batchSize);
    decodeLock.lock();
    try {
      return (int) lib.decode.invokeExact(context, batch);
    } catch (Throwable t) {
      throw LlamaLibrary.rethrow("llama_decode", t);
    } finally {
      decodeLock.unlock();
    }
  }

  /**
   * Copies the logits of batch entry {@code index} (which must have requested logits) into {@code
   * out}.
   */
  public void logits(int index, float[] out) {
    try {
      MemorySegment p = (MemorySegment) lib.getLogitsIth.invokeExact(context, index);
      if (p.equals(MemorySegment.NULL)) {
        throw new LlamaException("no logits for batch entry " + index);
      }
      MemorySegment.copy(p.reinterpret(4L * vocabSize), JAVA_FLOAT, 0, out, 0, vocabSize);
    } catch (Throwable t) {
      throw LlamaLibrary.rethrow("llama_get_logits_ith", t);
    }
  }

  /** Removes all KV-cache cells of a sequence. */
  public void kvRemove(int seqId) {
    try {
      boolean ignored = (boolean) lib.kvSelfSeqRm.invokeExact(context, seqId, -1, -1);
    } catch (Throwable t) {
      throw LlamaLibrary.rethrow("llama_kv_self_seq_rm", t);
    }
  }

  /** Makes sequence {@code dst} share all KV-cache cells of sequence {@code src}. */
  public void kvCopy(int src, int dst) {
    try {
      lib.kvSelfSeqCp.invokeExact(context, src, dst, -1, -1);
    } catch (Throwable t) {
      throw LlamaLibrary.rethrow("llama_kv_self_seq_cp", t);
    }
  }

  public void kvClear() {
    try {
      lib.kvSelfClear.invokeExact(context);
    } catch (Throwable t) {
      throw LlamaLibrary.rethrow("llama_kv_self_clear", t);
    }
  }

  @Override
  public void close() {
    for (LlamaModel view : List.copyOf(views)) {
      view.close();
    }
    guard.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      freeNative();
    } finally {
      guard.writeLock().unlock();
    }
  }

  private void freeNative() {
    if (owner != null) {
      try {
        lib.batchFree.invokeExact(batch);
        lib.free.invokeExact(context);
      } catch (Throwable t) {
        throw LlamaLibrary.rethrow("llama_free", t);
      } finally {
        owner.views.remove(this);
        arena.close();
      }
      return;
    }
    try {
      if (!context.equals(MemorySegment.NULL) && !adapters.isEmpty()) {
        lib.clearAdapterLora.invokeExact(context);
      }
      for (LlamaAdapter adapter : List.copyOf(adapters)) {
        freeAdapter(adapter);
      }
      if (!batch.equals(MemorySegment.NULL)) {
        lib.batchFree.invokeExact(batch);
      }
      if (!context.equals(MemorySegment.NULL)) {
        lib.free.invokeExact(context);
      }
      lib.modelFree.invokeExact(model);
    } catch (Throwable t) {
      throw LlamaLibrary.rethrow("llama_free", t);
    } finally {
      arena.close();
    }
  }
}
