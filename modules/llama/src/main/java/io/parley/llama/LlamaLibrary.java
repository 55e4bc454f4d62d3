package io.parley.llama;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * The llama.cpp shared library (build b4916, as shipped in {@code de.kherud:llama:4.1.0}) and
 * downcall handles for the part of its C API the engine uses.
 *
 * <p>The library is located, in this order: the path given to {@link #load(Optional)}, the system
 * property {@value #LIBRARY_PROPERTY}, or the classpath resource {@value #RESOURCE}. A classpath
 * resource is copied into {@code ${java.io.tmpdir}/parley-llama/<sha256 of the
 * content>/libjllama.so}; the copy is written to a temporary file and atomically renamed, so
 * concurrent processes never see a partial library. The library is loaded once per process (into
 * the global arena, never unloaded) and {@code llama_backend_init} runs once. The library's JNI
 * entry points are never used: loading goes through {@code dlopen}, so {@code JNI_OnLoad} does not
 * run.
 *
 * <p>llama.cpp log output is routed to the {@link System.Logger} {@code io.parley.llama.native}:
 * errors at WARNING, everything else at DEBUG.
 */
public final class LlamaLibrary {

  /** System property naming the shared library file to load when no path is configured. */
  public static final String LIBRARY_PROPERTY = "parley.llama.library";

  /** Classpath location of the library inside the {@code de.kherud:llama} jar. */
  public static final String RESOURCE = "de/kherud/llama/Linux/x86_64/libjllama.so";

  private static final System.Logger LOG = System.getLogger(LlamaLibrary.class.getName());
  private static final System.Logger NATIVE_LOG = System.getLogger("io.parley.llama.native");

  private static LlamaLibrary instance;

  /**
   * How idle llama.cpp worker threads wait. The bundled library runs its worker threads through
   * OpenMP (libgomp), whose threads wait between operations and between decode steps as {@code
   * OMP_WAIT_POLICY} says: read once, when libgomp is loaded with this library. (The {@code poll}
   * level of {@code ggml_threadpool_params} applies only to builds without OpenMP.)
   */
  public enum ThreadWait {
    /** libgomp's default: an idle thread spins (about 300,000 iterations) before it sleeps. */
    SPIN,
    /** {@code OMP_WAIT_POLICY=PASSIVE}: an idle thread sleeps at once and takes no CPU. */
    PASSIVE
  }

  /** Environment variable read by libgomp for its waiting policy. */
  public static final String OMP_WAIT_POLICY = "OMP_WAIT_POLICY";

  private final Path path;
  private String threadWait = describe(ThreadWait.SPIN);

  final MethodHandle backendInit;
  final MethodHandle logSet;
  final MethodHandle modelDefaultParams;
  final MethodHandle contextDefaultParams;
  final MethodHandle modelLoadFromFile;
  final MethodHandle modelFree;
  final MethodHandle initFromModel;
  final MethodHandle free;
  final MethodHandle modelGetVocab;
  final MethodHandle modelNCtxTrain;
  final MethodHandle modelMetaValStr;
  final MethodHandle modelChatTemplate;
  final MethodHandle chatApplyTemplate;
  final MethodHandle vocabNTokens;
  final MethodHandle vocabIsEog;
  final MethodHandle vocabBos;
  final MethodHandle vocabGetAddBos;
  final MethodHandle vocabFimPre;
  final MethodHandle vocabFimSuf;
  final MethodHandle vocabFimMid;
  final MethodHandle tokenize;
  final MethodHandle tokenToPiece;
  final MethodHandle detokenize;
  final MethodHandle batchInit;
  final MethodHandle batchFree;
  final MethodHandle decode;
  final MethodHandle getLogitsIth;
  final MethodHandle kvSelfSeqRm;
  final MethodHandle kvSelfSeqCp;
  final MethodHandle kvSelfClear;
  final MethodHandle nCtx;
  final MethodHandle nBatch;
  final MethodHandle getLogits;
  final MethodHandle adapterLoraInit;
  final MethodHandle setAdapterLora;
  final MethodHandle clearAdapterLora;
  final MethodHandle adapterLoraFree;
  final MethodHandle quantizeChunk;

  private LlamaLibrary(Path path) {
    this.path = path;
    Linker linker = Linker.nativeLinker();
    SymbolLookup lookup = SymbolLookup.libraryLookup(path, Arena.global());
    Binder b = new Binder(linker, lookup);
    backendInit = b.bind("llama_backend_init", FunctionDescriptor.ofVoid());
    logSet = b.bind("llama_log_set", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
    modelDefaultParams =
        b.bind("llama_model_default_params", FunctionDescriptor.of(LlamaLayouts.MODEL_PARAMS));
    contextDefaultParams =
        b.bind("llama_context_default_params", FunctionDescriptor.of(LlamaLayouts.CONTEXT_PARAMS));
    modelLoadFromFile =
        b.bind(
            "llama_model_load_from_file",
            FunctionDescriptor.of(ADDRESS, ADDRESS, LlamaLayouts.MODEL_PARAMS));
    modelFree = b.bind("llama_model_free", FunctionDescriptor.ofVoid(ADDRESS));
    initFromModel =
        b.bind(
            "llama_init_from_model",
            FunctionDescriptor.of(ADDRESS, ADDRESS, LlamaLayouts.CONTEXT_PARAMS));
    free = b.bind("llama_free", FunctionDescriptor.ofVoid(ADDRESS));
    modelGetVocab = b.bind("llama_model_get_vocab", FunctionDescriptor.of(ADDRESS, ADDRESS));
    modelNCtxTrain = b.bind("llama_model_n_ctx_train", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    modelMetaValStr =
        b.bind(
            "llama_model_meta_val_str",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));
    modelChatTemplate =
        b.bind("llama_model_chat_template", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    chatApplyTemplate =
        b.bind(
            "llama_chat_apply_template",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_BOOLEAN, ADDRESS, JAVA_INT));
    vocabNTokens = b.bind("llama_vocab_n_tokens", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    vocabIsEog =
        b.bind("llama_vocab_is_eog", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT));
    vocabBos = b.bind("llama_vocab_bos", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    vocabGetAddBos =
        b.bind("llama_vocab_get_add_bos", FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS));
    vocabFimPre = b.bind("llama_vocab_fim_pre", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    vocabFimSuf = b.bind("llama_vocab_fim_suf", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    vocabFimMid = b.bind("llama_vocab_fim_mid", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    tokenize =
        b.bind(
            "llama_tokenize",
            FunctionDescriptor.of(
                JAVA_INT,
                ADDRESS,
                ADDRESS,
                JAVA_INT,
                ADDRESS,
                JAVA_INT,
                JAVA_BOOLEAN,
                JAVA_BOOLEAN));
    tokenToPiece =
        b.bind(
            "llama_token_to_piece",
            FunctionDescriptor.of(
                JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_BOOLEAN));
    detokenize =
        b.bind(
            "llama_detokenize",
            FunctionDescriptor.of(
                JAVA_INT,
                ADDRESS,
                ADDRESS,
                JAVA_INT,
                ADDRESS,
                JAVA_INT,
                JAVA_BOOLEAN,
                JAVA_BOOLEAN));
    batchInit =
        b.bind(
            "llama_batch_init",
            FunctionDescriptor.of(LlamaLayouts.BATCH, JAVA_INT, JAVA_INT, JAVA_INT));
    batchFree = b.bind("llama_batch_free", FunctionDescriptor.ofVoid(LlamaLayouts.BATCH));
    decode = b.bind("llama_decode", FunctionDescriptor.of(JAVA_INT, ADDRESS, LlamaLayouts.BATCH));
    getLogitsIth =
        b.bind("llama_get_logits_ith", FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
    kvSelfSeqRm =
        b.bind(
            "llama_kv_self_seq_rm",
            FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
    kvSelfSeqCp =
        b.bind(
            "llama_kv_self_seq_cp",
            FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    kvSelfClear = b.bind("llama_kv_self_clear", FunctionDescriptor.ofVoid(ADDRESS));
    nCtx = b.bind("llama_n_ctx", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    nBatch = b.bind("llama_n_batch", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    getLogits = b.bind("llama_get_logits", FunctionDescriptor.of(ADDRESS, ADDRESS));
    adapterLoraInit =
        b.bind("llama_adapter_lora_init", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    setAdapterLora =
        b.bind(
            "llama_set_adapter_lora",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_FLOAT));
    clearAdapterLora = b.bind("llama_clear_adapter_lora", FunctionDescriptor.ofVoid(ADDRESS));
    adapterLoraFree = b.bind("llama_adapter_lora_free", FunctionDescriptor.ofVoid(ADDRESS));
    quantizeChunk =
        b.bind(
            "ggml_quantize_chunk",
            FunctionDescriptor.of(
                JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS));
  }

  /**
   * Loads the library once per process. Later calls return the loaded library, whatever path they
   * pass.
   *
   * @param configured explicit path of the shared library, if configured
   * @throws LlamaException when the library cannot be found or loaded
   */
  public static synchronized LlamaLibrary load(Optional<Path> configured) {
    return load(configured, ThreadWait.SPIN);
  }

  /**
   * Loads the library once per process with idle worker threads waiting as {@code wait} says.
   * {@link ThreadWait#PASSIVE} sets {@code OMP_WAIT_POLICY=PASSIVE} in the process environment
   * before the library (and with it libgomp) is loaded, unless the environment already sets {@code
   * OMP_WAIT_POLICY} or {@code GOMP_SPINCOUNT}: what an operator set wins. Later calls return the
   * loaded library, whatever they pass.
   *
   * @param configured explicit path of the shared library, if configured
   * @param wait how idle worker threads wait
   * @throws LlamaException when the library cannot be found or loaded
   */
  public static synchronized LlamaLibrary load(Optional<Path> configured, ThreadWait wait) {
    if (instance != null) {
      return instance;
    }
    String waitPolicy = applyThreadWait(wait);
    Path path =
        configured
            .or(
                () ->
                    Optional.ofNullable(System.getProperty(LIBRARY_PROPERTY))
                        .filter(s -> !s.isBlank())
                        .map(Path::of))
            .orElseGet(LlamaLibrary::extractFromClasspath);
    if (!Files.isRegularFile(path)) {
      throw new LlamaException("llama.cpp library not found at " + path);
    }
    LlamaLibrary library;
    try {
      library = new LlamaLibrary(path.toAbsolutePath());
    } catch (RuntimeException e) {
      throw new LlamaException("cannot load llama.cpp library " + path + ": " + e.getMessage(), e);
    }
    library.threadWait = waitPolicy;
    library.installLogger();
    try {
      library.backendInit.invokeExact();
    } catch (Throwable t) {
      throw new LlamaException("llama_backend_init failed", t);
    }
    LOG.log(System.Logger.Level.DEBUG, "loaded llama.cpp from {0}", path);
    instance = library;
    return library;
  }

  /** The waiting policy of the worker threads in effect (see {@link #describe(ThreadWait)}). */
  public String threadWait() {
    return threadWait;
  }

  /**
   * What {@link #load(Optional, ThreadWait)} with {@code wait} puts in effect (the environment's
   * {@code OMP_WAIT_POLICY} or {@code GOMP_SPINCOUNT} when set), for the start-up log.
   */
  public static String describe(ThreadWait wait) {
    for (var name : new String[] {OMP_WAIT_POLICY, "GOMP_SPINCOUNT"}) {
      var set = System.getenv(name);
      if (set != null) {
        return name + "=" + set + " (from the environment)";
      }
    }
    return wait == ThreadWait.SPIN
        ? "spin, then sleep (libgomp default)"
        : "sleep at once (OMP_WAIT_POLICY=PASSIVE)";
  }

  private static String applyThreadWait(ThreadWait wait) {
    String described = describe(wait);
    if (wait == ThreadWait.SPIN || described.endsWith("(from the environment)")) {
      return described;
    }
    var linker = Linker.nativeLinker();
    var setenv =
        linker
            .defaultLookup()
            .find("setenv")
            .map(
                s ->
                    linker.downcallHandle(
                        s, FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT)));
    if (setenv.isEmpty()) {
      LOG.log(System.Logger.Level.WARNING, "setenv not found: llama.cpp threads keep spinning");
      return "spin (libgomp default; setenv not found)";
    }
    try (var arena = Arena.ofConfined()) {
      int rc =
          (int)
              setenv
                  .get()
                  .invokeExact(
                      arena.allocateFrom(OMP_WAIT_POLICY), arena.allocateFrom("PASSIVE"), 0);
      if (rc != 0) {
        return "spin (libgomp default; setenv failed)";
      }
    } catch (Throwable t) {
      throw new LlamaException("cannot set " + OMP_WAIT_POLICY, t);
    }
    return described;
  }

  /** The file the library was loaded from. */
  public Path path() {
    return path;
  }

  private void installLogger() {
    try {
      MethodHandle target =
          MethodHandles.lookup()
              .findStatic(
                  LlamaLibrary.class,
                  "onNativeLog",
                  MethodType.methodType(
                      void.class, int.class, MemorySegment.class, MemorySegment.class));
      MemorySegment stub =
          Linker.nativeLinker()
              .upcallStub(
                  target, FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, ADDRESS), Arena.global());
      logSet.invokeExact(stub, MemorySegment.NULL);
    } catch (Throwable t) {
      throw new LlamaException("cannot install llama.cpp log callback", t);
    }
  }

  /** Log callback called by llama.cpp, possibly from native threads; it must never throw. */
  private static void onNativeLog(int level, MemorySegment text, MemorySegment userData) {
    try {
      // ggml_log_level: 0 none, 1 debug, 2 info, 3 warn, 4 error, 5 continuation
      System.Logger.Level target =
          level == 4 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG;
      if (!NATIVE_LOG.isLoggable(target) || text.equals(MemorySegment.NULL)) {
        return;
      }
      String message = text.reinterpret(Long.MAX_VALUE).getString(0).stripTrailing();
      if (!message.isEmpty()) {
        NATIVE_LOG.log(target, message);
      }
    } catch (Throwable ignored) {
      // a failing logger must not crash the native caller
    }
  }

  private static Path extractFromClasspath() {
    ClassLoader loader =
        Optional.ofNullable(Thread.currentThread().getContextClassLoader())
            .orElse(LlamaLibrary.class.getClassLoader());
    if (loader.getResource(RESOURCE) == null) {
      throw new LlamaException(
          "llama.cpp library not configured ("
              + LIBRARY_PROPERTY
              + ") and classpath resource "
              + RESOURCE
              + " not found (is de.kherud:llama:4.1.0 on the classpath?)");
    }
    try {
      Path root = Path.of(System.getProperty("java.io.tmpdir"), "parley-llama");
      Files.createDirectories(root);
      Path temp = Files.createTempFile(root, "libjllama", ".tmp");
      try {
        String sha;
        try (InputStream in = loader.getResourceAsStream(RESOURCE);
            DigestInputStream digest =
                new DigestInputStream(in, MessageDigest.getInstance("SHA-256"))) {
          Files.copy(digest, temp, StandardCopyOption.REPLACE_EXISTING);
          sha = HexFormat.of().formatHex(digest.getMessageDigest().digest());
        }
        Path dir = root.resolve(sha);
        Path target = dir.resolve("libjllama.so");
        if (Files.isRegularFile(target) && Files.size(target) == Files.size(temp)) {
          return target;
        }
        Files.createDirectories(dir);
        try {
          Files.move(
              temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        return target;
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new LlamaException("cannot extract llama.cpp library: " + e.getMessage(), e);
    }
  }

  // ---- typed wrappers
  // ---------------------------------------------------------------------------------------

  public MemorySegment modelDefaultParams(SegmentAllocator allocator) {
    try {
      return (MemorySegment) modelDefaultParams.invokeExact(allocator);
    } catch (Throwable t) {
      throw rethrow("llama_model_default_params", t);
    }
  }

  public MemorySegment contextDefaultParams(SegmentAllocator allocator) {
    try {
      return (MemorySegment) contextDefaultParams.invokeExact(allocator);
    } catch (Throwable t) {
      throw rethrow("llama_context_default_params", t);
    }
  }

  /**
   * Converts {@code rows} rows of {@code perRow} floats to ggml type {@code ggmlType} (1 F16, 8
   * Q8_0, 30 BF16, ...) with ggml's own quantizer ({@code ggml_quantize_chunk}, the per-tensor step
   * of {@code llama_model_quantize}, which this build of the library does not export).
   *
   * @return the tensor's bytes as ggml stores them
   */
  public byte[] quantize(int ggmlType, float[] values, long rows, long perRow) {
    if (rows * perRow != values.length) {
      throw new LlamaException("quantize: " + rows + " x " + perRow + " != " + values.length);
    }
    try (Arena local = Arena.ofConfined()) {
      MemorySegment src = local.allocateFrom(JAVA_FLOAT, values);
      // no type takes more than 4 bytes per value (F32) plus block headers
      MemorySegment dst = local.allocate(4L * values.length + 1024, 64);
      long n =
          (long)
              quantizeChunk.invokeExact(ggmlType, src, dst, 0L, rows, perRow, MemorySegment.NULL);
      if (n <= 0 || n > dst.byteSize()) {
        throw new LlamaException("ggml_quantize_chunk returned " + n);
      }
      return dst.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    } catch (LlamaException e) {
      throw e;
    } catch (Throwable t) {
      throw rethrow("ggml_quantize_chunk", t);
    }
  }

  static LlamaException rethrow(String function, Throwable t) {
    if (t instanceof LlamaException e) {
      return e;
    }
    return new LlamaException(function + " failed: " + t, t);
  }

  private record Binder(Linker linker, SymbolLookup lookup) {
    MethodHandle bind(String name, FunctionDescriptor descriptor) {
      MemorySegment symbol =
          lookup
              .find(name)
              .orElseThrow(
                  () -> new LlamaException("symbol " + name + " not found in llama.cpp library"));
      return linker.downcallHandle(symbol, descriptor);
    }
  }
}
