package io.parley.inference.application;

import io.parley.inference.domain.EngineFailureException;
import io.parley.inference.domain.FineTunedModel;
import io.parley.inference.domain.Generation;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.InferenceException;
import io.parley.inference.domain.ModelNotFoundException;
import io.parley.inference.domain.TextEngine;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Serves fine-tuned models on first use: the registry's answer about a model id for the caller's
 * organization is trusted for {@link AdapterPolicy#lookupTtl()} and then asked again (a deleted
 * model, or one of another organization, is {@link ModelNotFoundException}); the adapter is fetched
 * once per content (keyed by its SHA-256 and base model), size-bounded and checked against its
 * SHA-256, written to a private cache directory, and started with the {@link AdapterLoader} over
 * the shared base weights in a context of its own. Adapters unused for {@link
 * AdapterPolicy#idleTimeout()}, or beyond {@link AdapterPolicy#maxLoaded()} / {@link
 * AdapterPolicy#maxLoadedBytes()} (least recently used first), are unloaded and their files
 * deleted; an adapter with a generation queued or running is never unloaded, so the limits are soft
 * while every loaded adapter is busy.
 */
public final class FineTunedEngines implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(FineTunedEngines.class.getName());

  private final FineTunedModelSource source;
  private final AdapterLoader loader;
  private final Function<String, Optional<TextEngine>> baseEngines;
  private final AdapterPolicy policy;
  private final LongSupplier nanos;
  private final ScheduledExecutorService sweeper;
  private final ExecutorService worker =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("adapter-load-", 0).factory());

  private record Key(String organization, String model) {}

  private record Lookup(FineTunedModel model, long expiresAt) {}

  private final Map<Key, Lookup> lookups = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<Loaded>> loaded = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /** One loaded adapter; {@code users} and {@code unloaded} are guarded by the object. */
  private static final class Loaded {
    final String key;
    final Path file;
    final long bytes;
    final TextEngine engine;
    int users;
    boolean unloaded;
    volatile long lastUsed;

    Loaded(String key, Path file, long bytes, TextEngine engine, long now) {
      this.key = key;
      this.file = file;
      this.bytes = bytes;
      this.engine = engine;
      this.lastUsed = now;
    }
  }

  /**
   * @param source the registry
   * @param loader starts adapter engines
   * @param baseEngines the loaded base model of an id, if any
   * @param policy limits and timings
   * @param nanos monotonic clock in nanoseconds ({@code System::nanoTime})
   */
  public FineTunedEngines(
      FineTunedModelSource source,
      AdapterLoader loader,
      Function<String, Optional<TextEngine>> baseEngines,
      AdapterPolicy policy,
      LongSupplier nanos) {
    this.source = source;
    this.loader = loader;
    this.baseEngines = baseEngines;
    this.policy = policy;
    this.nanos = nanos;
    try {
      Files.createDirectories(policy.cacheDir());
      if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
        Files.setPosixFilePermissions(
            policy.cacheDir(), PosixFilePermissions.fromString("rwx------"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the adapter cache " + policy.cacheDir(), e);
    }
    long period = Math.max(1_000, Math.min(60_000, policy.idleTimeout().toMillis() / 4));
    this.sweeper =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("adapter-sweeper").daemon(true).factory());
    sweeper.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
  }

  /**
   * Starts a generation of the fine-tuned model {@code model} for {@code organization}. When the
   * registry's answer is fresh and the adapter is loaded, the generation is queued at once, as for
   * a base model; otherwise the look-up, the fetch and the load happen on a worker thread (never on
   * the caller's, which may be a transport thread), and their failures reach {@code sink}.
   *
   * @throws InferenceException as {@link TextEngine#generate} does when the generation is queued at
   *     once; otherwise {@link ModelNotFoundException} when the organization has no such model,
   *     {@link io.parley.inference.domain.ModelRegistryUnavailableException} when the registry
   *     cannot be asked, and {@link EngineFailureException} when the adapter cannot be loaded,
   *     reach {@link GenerationSink#onError}
   */
  public Generation generate(
      String organization, String model, GenerationRequest request, GenerationSink sink) {
    if (closed) {
      throw new EngineFailureException("fine-tuned models are no longer served");
    }
    Optional<Generation> started = startIfReady(organization, model, request, sink);
    if (started.isPresent()) {
      return started.get();
    }
    var pending = new PendingGeneration();
    worker.execute(
        () -> {
          try {
            pending.started(generateLoading(organization, model, request, sink));
          } catch (InferenceException e) {
            sink.onError(e);
          } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "fine-tuned generation failed", e);
            sink.onError(new EngineFailureException(e.toString(), e));
          }
        });
    return pending;
  }

  /** The generation queued at once when the look-up is fresh and the adapter loaded. */
  private Optional<Generation> startIfReady(
      String organization, String model, GenerationRequest request, GenerationSink sink) {
    Lookup cached = lookups.get(new Key(organization, model));
    if (cached == null || nanos.getAsLong() - cached.expiresAt() >= 0) {
      return Optional.empty();
    }
    CompletableFuture<Loaded> future = loaded.get(key(cached.model()));
    if (future == null || !future.isDone() || future.isCompletedExceptionally()) {
      return Optional.empty();
    }
    return start(future.join(), request, sink);
  }

  /** Looks the model up, loads its adapter if needed, and queues the generation. */
  private Generation generateLoading(
      String organization, String model, GenerationRequest request, GenerationSink sink) {
    FineTunedModel found = lookup(organization, model);
    TextEngine base =
        baseEngines.apply(found.baseModel()).orElseThrow(() -> new ModelNotFoundException(model));
    for (int attempt = 0; attempt < 3; attempt++) {
      Optional<Generation> started = start(load(found, base), request, sink);
      if (started.isPresent()) {
        return started.get();
      }
      // unloaded between load and use: load it again
    }
    throw new EngineFailureException("the adapter of " + model + " could not be kept loaded");
  }

  /** Queues the generation on a loaded adapter; empty when it was unloaded meanwhile. */
  private Optional<Generation> start(Loaded entry, GenerationRequest request, GenerationSink sink) {
    synchronized (entry) {
      if (entry.unloaded) {
        return Optional.empty();
      }
      entry.users++;
    }
    try {
      return Optional.of(entry.engine.generate(request, sink));
    } finally {
      synchronized (entry) {
        entry.users--;
        entry.lastUsed = nanos.getAsLong();
      }
      enforceLimits();
    }
  }

  /** A generation whose adapter is still being looked up or loaded. */
  private static final class PendingGeneration implements Generation {
    private Generation running; // guarded by this
    private boolean cancelled; // guarded by this

    synchronized void started(Generation generation) {
      running = generation;
      if (cancelled) {
        generation.cancel();
      }
    }

    @Override
    public synchronized void cancel() {
      cancelled = true;
      if (running != null) {
        running.cancel();
      }
    }
  }

  private static String key(FineTunedModel model) {
    return model.adapterSha256() + "@" + model.baseModel();
  }

  /** Unloads adapters idle for longer than the policy allows (also done periodically). */
  public void sweep() {
    long now = nanos.getAsLong();
    long idle = policy.idleTimeout().toNanos();
    for (Loaded entry : loadedEntries()) {
      if (now - entry.lastUsed >= idle) {
        unload(entry, "idle");
      }
    }
    lookups.values().removeIf(l -> now - l.expiresAt() > 0);
  }

  /** How many adapters are loaded now. */
  public int loadedCount() {
    return loadedEntries().size();
  }

  private FineTunedModel lookup(String organization, String model) {
    Key key = new Key(organization, model);
    long now = nanos.getAsLong();
    Lookup cached = lookups.get(key);
    if (cached != null && now - cached.expiresAt() < 0) {
      return cached.model();
    }
    Optional<FineTunedModel> found = source.find(organization, model);
    if (found.isEmpty()
        || !found.get().organization().equals(organization)
        || !found.get().id().equals(model)) {
      lookups.remove(key);
      throw new ModelNotFoundException(model);
    }
    lookups.put(key, new Lookup(found.get(), now + policy.lookupTtl().toNanos()));
    return found.get();
  }

  private Loaded load(FineTunedModel model, TextEngine base) {
    String key = key(model);
    CompletableFuture<Loaded> mine = new CompletableFuture<>();
    CompletableFuture<Loaded> existing = loaded.putIfAbsent(key, mine);
    if (existing != null) {
      try {
        return existing.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof InferenceException ie
            ? ie
            : new EngineFailureException("the adapter of " + model.id() + " failed to load", e);
      }
    }
    try {
      long started = System.nanoTime();
      Path file = fetch(model, key);
      TextEngine engine;
      try {
        engine = loader.load(base, model.id(), file);
      } catch (RuntimeException e) {
        delete(file);
        throw e;
      }
      Loaded entry = new Loaded(key, file, model.adapterBytes(), engine, nanos.getAsLong());
      mine.complete(entry);
      LOG.log(
          System.Logger.Level.INFO,
          "Fine-tuned model {0} ready in {1} ms ({2} adapter bytes)",
          model.id(),
          (System.nanoTime() - started) / 1_000_000,
          model.adapterBytes());
      return entry;
    } catch (RuntimeException e) {
      loaded.remove(key, mine);
      mine.completeExceptionally(e);
      throw e;
    }
  }

  /** Fetches the adapter's bytes into the cache directory, checking size and SHA-256. */
  private Path fetch(FineTunedModel model, String key) {
    if (!model.adapterSha256().matches("[0-9a-f]{64}")) {
      throw new EngineFailureException("the registry gave " + model.id() + " no valid sha256");
    }
    long limit = Math.min(policy.maxAdapterBytes(), model.adapterBytes());
    if (model.adapterBytes() < 1 || model.adapterBytes() > policy.maxAdapterBytes()) {
      throw new EngineFailureException(
          "the adapter of "
              + model.id()
              + " has "
              + model.adapterBytes()
              + " bytes; this server takes adapters of 1 to "
              + policy.maxAdapterBytes());
    }
    Path target = policy.cacheDir().resolve(key.replace(':', '_').replace('/', '_') + ".gguf");
    Path part = null;
    try {
      part = Files.createTempFile(policy.cacheDir(), model.adapterSha256(), ".part");
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      long written;
      try (var counting = new BoundedOutputStream(Files.newOutputStream(part), limit);
          var out = new DigestOutputStream(counting, sha)) {
        source.download(model.organization(), model.id(), out);
        out.flush();
        written = counting.count;
      }
      String actual = HexFormat.of().formatHex(sha.digest());
      if (written != model.adapterBytes() || !actual.equals(model.adapterSha256())) {
        throw new EngineFailureException(
            "the adapter of "
                + model.id()
                + " does not match the registry's sha256 and size ("
                + written
                + " bytes received)");
      }
      Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      part = null;
      return target;
    } catch (IOException | UncheckedIOException e) {
      throw new EngineFailureException("the adapter of " + model.id() + " cannot be fetched", e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } finally {
      if (part != null) {
        delete(part);
      }
    }
  }

  /** Unloads least-recently-used idle adapters while over the count or bytes budget. */
  private void enforceLimits() {
    List<Loaded> entries = loadedEntries();
    long bytes = entries.stream().mapToLong(e -> e.bytes).sum();
    int count = entries.size();
    entries.sort(Comparator.comparingLong(e -> e.lastUsed));
    for (Loaded entry : entries) {
      if (count <= policy.maxLoaded() && bytes <= policy.maxLoadedBytes()) {
        return;
      }
      if (unload(entry, "over budget")) {
        count--;
        bytes -= entry.bytes;
      }
    }
  }

  private List<Loaded> loadedEntries() {
    List<Loaded> out = new ArrayList<>();
    for (CompletableFuture<Loaded> f : loaded.values()) {
      if (f.isDone() && !f.isCompletedExceptionally()) {
        out.add(f.join());
      }
    }
    return out;
  }

  /** Unloads an adapter unless it is in use; returns whether it was unloaded. */
  private boolean unload(Loaded entry, String why) {
    synchronized (entry) {
      if (entry.unloaded || entry.users > 0 || !entry.engine.idle()) {
        return false;
      }
      entry.unloaded = true;
    }
    loaded.computeIfPresent(
        entry.key,
        (k, f) -> f.isDone() && !f.isCompletedExceptionally() && f.join() == entry ? null : f);
    try {
      entry.engine.close();
    } finally {
      delete(entry.file);
    }
    LOG.log(System.Logger.Level.INFO, "Unloaded adapter {0} ({1})", entry.key, why);
    return true;
  }

  private static void delete(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot delete " + file, e);
    }
  }

  /** Stops the sweeper and unloads every adapter (generations still running fail). */
  @Override
  public void close() {
    closed = true;
    sweeper.shutdownNow();
    worker.shutdownNow();
    for (Loaded entry : loadedEntries()) {
      synchronized (entry) {
        entry.unloaded = true;
      }
      try {
        entry.engine.close();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "cannot close adapter " + entry.key, e);
      }
      delete(entry.file);
    }
    loaded.clear();
    lookups.clear();
  }

  /** Counts what passes through and refuses more than {@code limit} bytes. */
  private static final class BoundedOutputStream extends FilterOutputStream {
    private final long limit;
    long count;

    BoundedOutputStream(OutputStream out, long limit) {
      super(out);
      this.limit = limit;
    }

    @Override
    public void write(int b) throws IOException {
      check(1);
      out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      check(len);
      out.write(b, off, len);
    }

    private void check(int len) throws IOException {
      count += len;
      if (count > limit) {
        throw new IOException("the adapter is larger than announced (" + limit + " bytes)");
      }
    }
  }
}
