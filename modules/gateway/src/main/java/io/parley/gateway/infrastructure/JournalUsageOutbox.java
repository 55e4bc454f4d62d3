package io.parley.gateway.infrastructure;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.common.v1.TokenUsage;
import io.parley.gateway.application.AdmittedUsage;
import io.parley.gateway.application.UsageOutbox;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.ServiceUnavailableException;
import io.parley.usage.v1.UsageRecord;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The usage outbox as a journal of append-only segment files in {@code parley.gateway.outbox.dir}.
 *
 * <p><b>Records.</b> One JSON object per line (Jackson): {@code admitted} (request id,
 * organization, key id, model, estimated tokens, lease id, time) before a request runs; {@code
 * finished} (the same fields and the actual tokens, so it is complete on its own) when it ends;
 * {@code recorded} (request ids) once the usage service acknowledged them.
 *
 * <p><b>Durability.</b> Every record is written with a plain {@code write} before the call that
 * made it returns: that survives a killed process (the page cache belongs to the kernel). The files
 * are fsynced in groups, every {@code parley.gateway.outbox.fsync-ms} when something was written,
 * so a machine crash or power loss can lose at most that window.
 *
 * <p><b>Sending.</b> One flusher thread sends finished records with {@code RecordUsage} in batches
 * of up to {@code parley.gateway.outbox.batch-size} (at most 1,000), waiting up to {@code
 * parley.gateway.outbox.flush-ms} to fill a batch, and writes {@code recorded} after the answer.
 * While the usage service cannot be reached it retries the same batch with backoff (to 5 s), and
 * each retry makes the channel reconnect at once instead of waiting out gRPC's reconnect backoff:
 * nothing is dropped, and because the ledger is idempotent by request id a record sent twice
 * (answer lost) is billed once. A record the service refuses outright (invalid) is logged and
 * marked recorded, so it cannot block the others.
 *
 * <p><b>Restart.</b> At start every segment is read back in order: an {@code admitted} request with
 * no {@code finished} (the gateway died while it ran) is billed at the tokens it was admitted for
 * and sent with {@code interrupted=true}; a {@code finished} without {@code recorded} is sent
 * again. A torn last line (the process died mid-write) does not parse and is skipped; new records
 * always go to a new segment. A lock file keeps a second gateway from using the same directory.
 *
 * <p><b>Size.</b> A segment is closed at {@code parley.gateway.outbox.segment-bytes}; the oldest
 * segments are deleted once every request admitted in them is recorded. When the journal passes
 * {@code parley.gateway.outbox.max-bytes} (the usage service away for long) new requests are
 * refused with 503 rather than admitted unbilled; finishing requests are always written.
 */
@ApplicationScoped
public class JournalUsageOutbox implements UsageOutbox {

  private static final System.Logger LOG = System.getLogger(JournalUsageOutbox.class.getName());
  private static final Pattern SEGMENT = Pattern.compile("outbox-(\\d{16})\\.jsonl");
  private static final long FIRST_BACKOFF_MILLIS = 200;
  private static final long MAX_BACKOFF_MILLIS = 5_000;
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .setSerializationInclusion(JsonInclude.Include.NON_DEFAULT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /**
   * How the journal is kept.
   *
   * @param dir the directory of the segments (created when missing)
   * @param segmentBytes size at which a segment is closed
   * @param maxBytes journal size past which new requests are refused
   * @param fsyncMillis how often written segments are fsynced
   * @param batchSize most records per {@code RecordUsage}
   * @param flushMillis longest wait to fill a batch
   * @param retryAfterSeconds {@code retry-after} of the 503 when full
   */
  public record Settings(
      Path dir,
      long segmentBytes,
      long maxBytes,
      long fsyncMillis,
      int batchSize,
      long flushMillis,
      int retryAfterSeconds) {

    public Settings {
      batchSize = Math.clamp(batchSize, 1, 1000);
    }
  }

  /** One journal line. */
  @JsonInclude(JsonInclude.Include.NON_DEFAULT)
  record Event(
      String event,
      String requestId,
      String organization,
      String apiKeyId,
      String model,
      String leaseId,
      int promptTokens,
      int completionTokens,
      long atMs,
      boolean interrupted,
      List<String> requestIds) {

    static final String ADMITTED = "admitted";
    static final String FINISHED = "finished";
    static final String RECORDED = "recorded";
  }

  /** A request not yet recorded: the segment that admitted it and its record so far. */
  private static final class Pending {
    final long segment;
    final Event admitted;
    boolean finished;

    Pending(long segment, Event admitted) {
      this.segment = segment;
      this.admitted = admitted;
    }
  }

  private static final class Segment {
    final Path path;
    long bytes;
    int open;

    Segment(Path path, long bytes) {
      this.path = path;
      this.bytes = bytes;
    }
  }

  private UsageClient usage;
  private Settings settings;
  private InstantSource clock;
  private ScheduledExecutorService executor;

  private final Object lock = new Object();
  private final TreeMap<Long, Segment> segments = new TreeMap<>();
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> perLease = new ConcurrentHashMap<>();
  private final LinkedBlockingQueue<UsageRecord> ready = new LinkedBlockingQueue<>();
  private final LinkedBlockingQueue<FileChannel> closing = new LinkedBlockingQueue<>();
  private FileChannel lockChannel;
  private FileLock dirLock;
  private FileChannel current;
  private long currentSeq;
  private long totalBytes;
  private volatile boolean dirty;
  private volatile boolean stopping;
  private volatile boolean opened;

  /** For CDI proxies. */
  protected JournalUsageOutbox() {}

  @Inject
  public JournalUsageOutbox(
      UsageClient usage,
      @ConfigProperty(name = "parley.gateway.outbox.dir") String dir,
      @ConfigProperty(name = "parley.gateway.outbox.segment-bytes") long segmentBytes,
      @ConfigProperty(name = "parley.gateway.outbox.max-bytes") long maxBytes,
      @ConfigProperty(name = "parley.gateway.outbox.fsync-ms") long fsyncMillis,
      @ConfigProperty(name = "parley.gateway.outbox.batch-size") int batchSize,
      @ConfigProperty(name = "parley.gateway.outbox.flush-ms") long flushMillis,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds) {
    this(
        usage,
        new Settings(
            Path.of(dir),
            segmentBytes,
            maxBytes,
            fsyncMillis,
            batchSize,
            flushMillis,
            retryAfterSeconds),
        InstantSource.system(),
        Executors.newScheduledThreadPool(
            2, Thread.ofPlatform().name("parley-outbox-", 0).daemon().factory()));
  }

  /**
   * @param usage where the records go
   * @param settings how the journal is kept
   * @param clock the time records carry
   * @param executor runs the flusher and the group fsync (two threads); shutting it down stops both
   *     without a flush, as a killed process would
   */
  public JournalUsageOutbox(
      UsageClient usage,
      Settings settings,
      InstantSource clock,
      ScheduledExecutorService executor) {
    this.usage = usage;
    this.settings = settings;
    this.clock = clock;
    this.executor = executor;
  }

  void onStart(@Observes @Initialized(ApplicationScoped.class) Object event) {
    // Replays the journal at deployment, so what an earlier process left is billed without waiting
    // for the first request.
    if (usage.enabled()) {
      open();
    }
  }

  /**
   * Reads the journal back, queues what it owes the ledger, and starts the flusher and the fsync
   * timer; later calls do nothing.
   *
   * @throws UncheckedIOException when the directory cannot be used
   */
  public void open() {
    synchronized (lock) {
      if (opened) {
        return;
      }
      try {
        Files.createDirectories(settings.dir());
        lockChannel =
            FileChannel.open(
                settings.dir().resolve("outbox.lock"),
                StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        try {
          dirLock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
          dirLock = null;
        }
        if (dirLock == null) {
          lockChannel.close();
          throw new IllegalStateException(
              "the usage outbox "
                  + settings.dir()
                  + " is in use by another gateway; give each replica its own"
                  + " parley.gateway.outbox.dir");
        }
        replay();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open the usage outbox in " + settings.dir(), e);
      }
      opened = true;
    }
    executor.execute(this::flushLoop);
    executor.scheduleWithFixedDelay(
        this::fsync, settings.fsyncMillis(), settings.fsyncMillis(), TimeUnit.MILLISECONDS);
  }

  private void replay() throws IOException {
    var found = new TreeMap<Long, Path>();
    try (var files = Files.list(settings.dir())) {
      files.forEach(
          path -> {
            var m = SEGMENT.matcher(path.getFileName().toString());
            if (m.matches()) {
              found.put(Long.parseLong(m.group(1)), path);
            }
          });
    }
    var open = new LinkedHashMap<String, Pending>();
    var finished = new LinkedHashMap<String, Event>();
    for (var entry : found.entrySet()) {
      long seq = entry.getKey();
      var path = entry.getValue();
      segments.put(seq, new Segment(path, Files.size(path)));
      totalBytes += Files.size(path);
      // Line by line (a journal can be large); a line that does not parse is reported once the
      // next line shows whether it was the last one (torn by a crash) or damage in the middle.
      // (A reader that replaces malformed bytes: a torn line may end inside a character.)
      try (var reader =
          new BufferedReader(
              new InputStreamReader(Files.newInputStream(path), StandardCharsets.UTF_8))) {
        int lineNumber = 0;
        int unreadable = 0;
        String line;
        while ((line = reader.readLine()) != null) {
          lineNumber++;
          if (line.isBlank()) {
            continue;
          }
          if (unreadable > 0) {
            LOG.log(
                System.Logger.Level.WARNING,
                "unreadable line skipped in " + path + ":" + unreadable);
            unreadable = 0;
          }
          Event event;
          try {
            event = JSON.readValue(line, Event.class);
          } catch (JsonProcessingException e) {
            unreadable = lineNumber;
            continue;
          }
          replay(event, seq, open, finished);
        }
        if (unreadable > 0) {
          LOG.log(System.Logger.Level.INFO, "torn last line skipped in " + path + ":" + unreadable);
        }
      }
    }
    currentSeq = found.isEmpty() ? 1 : found.lastKey() + 1;
    startSegment();
    int interrupted = 0;
    for (var entry : open.entrySet()) {
      var p = entry.getValue();
      track(entry.getKey(), p);
      var end = finished.remove(entry.getKey());
      if (end == null) {
        // The gateway died while the request ran: billed at the tokens it was admitted for.
        var a = p.admitted;
        end =
            new Event(
                Event.FINISHED,
                a.requestId(),
                a.organization(),
                a.apiKeyId(),
                a.model(),
                a.leaseId(),
                a.promptTokens(),
                a.completionTokens(),
                a.atMs(),
                true,
                null);
        append(end);
        interrupted++;
      }
      p.finished = true;
      ready.add(toRecord(end));
    }
    // A finished request whose admission is gone was recorded already (its segment was deleted only
    // after that), or its admission line was torn: send it; the ledger ignores a repeat.
    for (var end : finished.values()) {
      ready.add(toRecord(end));
    }
    deleteRecordedSegments();
    if (!ready.isEmpty()) {
      int owed = ready.size();
      int cut = interrupted;
      LOG.log(
          System.Logger.Level.INFO,
          () -> "usage outbox: " + owed + " records to send (" + cut + " interrupted requests)");
    }
  }

  /** Applies one journal event to what replay has found so far. */
  private static void replay(
      Event event, long seq, Map<String, Pending> open, Map<String, Event> finished) {
    switch (event.event()) {
      case Event.ADMITTED -> open.put(event.requestId(), new Pending(seq, event));
      case Event.FINISHED -> finished.put(event.requestId(), event);
      case Event.RECORDED -> {
        if (event.requestIds() != null) {
          for (var id : event.requestIds()) {
            open.remove(id);
            finished.remove(id);
          }
        }
      }
      case null, default -> {}
    }
  }

  @Override
  public void admitted(AdmittedUsage admitted) {
    if (!opened) {
      open();
    }
    if (totalBytes > settings.maxBytes()) {
      LOG.log(System.Logger.Level.WARNING, "usage outbox full: refusing new requests");
      throw ServiceUnavailableException.usage(settings.retryAfterSeconds());
    }
    var u = admitted.estimated();
    var event =
        new Event(
            Event.ADMITTED,
            admitted.requestId(),
            admitted.organization(),
            admitted.apiKeyId(),
            admitted.model(),
            admitted.leaseId(),
            u.getPromptTokens(),
            u.getCompletionTokens(),
            clock.millis(),
            false,
            null);
    byte[] line = line(event);
    synchronized (lock) {
      if (pending.containsKey(admitted.requestId())) {
        // Request ids are unique per request; a repeat while the first runs is billed with it.
        LOG.log(System.Logger.Level.WARNING, admitted.requestId() + ": admitted twice, kept once");
        return;
      }
      try {
        append(line);
      } catch (IOException e) {
        LOG.log(System.Logger.Level.ERROR, "usage outbox write failed", e);
        throw ServiceUnavailableException.usage(settings.retryAfterSeconds());
      }
      track(admitted.requestId(), new Pending(currentSeq, event));
    }
  }

  @Override
  public void finished(String requestId, TokenUsage actual) {
    var p = pending.get(requestId);
    if (p == null) {
      return;
    }
    var a = p.admitted;
    var end =
        new Event(
            Event.FINISHED,
            a.requestId(),
            a.organization(),
            a.apiKeyId(),
            a.model(),
            a.leaseId(),
            actual.getPromptTokens(),
            actual.getCompletionTokens(),
            clock.millis(),
            false,
            null);
    byte[] line = line(end);
    synchronized (lock) {
      if (p.finished) {
        return;
      }
      p.finished = true;
      try {
        append(line);
      } catch (IOException e) {
        // Still sent while this process lives; after a crash it would be billed as admitted.
        LOG.log(System.Logger.Level.ERROR, requestId + ": usage outbox write failed", e);
      }
    }
    ready.add(toRecord(end));
  }

  @Override
  public long unrecorded(String leaseId) {
    var count = perLease.get(leaseId);
    return count == null ? 0 : count.get();
  }

  /** Requests written down and not yet acknowledged by the ledger. */
  public int pending() {
    return pending.size();
  }

  private void track(String requestId, Pending p) {
    pending.put(requestId, p);
    var segment = segments.get(p.segment);
    if (segment != null) {
      segment.open++;
    }
    var lease = p.admitted.leaseId();
    if (lease != null && !lease.isEmpty()) {
      perLease.computeIfAbsent(lease, l -> new AtomicLong()).incrementAndGet();
    }
  }

  private static byte[] line(Event event) {
    try {
      return (JSON.writeValueAsString(event) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a journal event did not serialize", e);
    }
  }

  /** Writes one event to the current segment (guarded by {@link #lock}). */
  private void append(Event event) throws IOException {
    append(line(event));
  }

  /**
   * Writes one line to the current segment (guarded by {@link #lock}). A full segment is handed to
   * the fsync timer, which syncs and closes it off the request path.
   */
  private void append(byte[] line) throws IOException {
    var segment = segments.get(currentSeq);
    if (segment.bytes > 0 && segment.bytes + line.length > settings.segmentBytes()) {
      closing.add(current);
      currentSeq++;
      startSegment();
      segment = segments.get(currentSeq);
    }
    var buffer = ByteBuffer.wrap(line);
    while (buffer.hasRemaining()) {
      current.write(buffer);
    }
    segment.bytes += line.length;
    totalBytes += line.length;
    dirty = true;
  }

  private void startSegment() throws IOException {
    var path = settings.dir().resolve("outbox-%016d.jsonl".formatted(currentSeq));
    current =
        FileChannel.open(
            path,
            StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE,
            StandardOpenOption.APPEND);
    segments.put(currentSeq, new Segment(path, 0));
  }

  private static UsageRecord toRecord(Event e) {
    int prompt = Math.max(0, e.promptTokens());
    int completion = Math.max(0, e.completionTokens());
    return UsageRecord.newBuilder()
        .setRequestId(e.requestId())
        .setOrganization(nullToEmpty(e.organization()))
        .setApiKeyId(nullToEmpty(e.apiKeyId()))
        .setModel(nullToEmpty(e.model()))
        .setLeaseId(nullToEmpty(e.leaseId()))
        .setUsage(
            TokenUsage.newBuilder()
                .setPromptTokens(prompt)
                .setCompletionTokens(completion)
                .setTotalTokens((int) Math.min(Integer.MAX_VALUE, (long) prompt + completion)))
        .setFinishedAtMs(e.atMs())
        .setInterrupted(e.interrupted())
        .build();
  }

  private static String nullToEmpty(String s) {
    return s == null ? "" : s;
  }

  private void fsync() {
    for (FileChannel full; (full = closing.poll()) != null; ) {
      try {
        full.force(false);
        full.close();
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, "syncing a full outbox segment failed", e);
      }
    }
    if (!dirty) {
      return;
    }
    dirty = false;
    FileChannel channel;
    synchronized (lock) {
      channel = current;
    }
    try {
      channel.force(false);
    } catch (IOException e) {
      dirty = true; // tried again on the next tick
    }
  }

  private void flushLoop() {
    var batch = new ArrayList<UsageRecord>(settings.batchSize());
    try {
      while (!Thread.currentThread().isInterrupted()) {
        if (batch.isEmpty()) {
          var first = ready.poll(200, TimeUnit.MILLISECONDS);
          if (first == null) {
            if (stopping) {
              return;
            }
            continue;
          }
          batch.add(first);
          long deadline = System.nanoTime() + settings.flushMillis() * 1_000_000;
          while (batch.size() < settings.batchSize()) {
            ready.drainTo(batch, settings.batchSize() - batch.size());
            long left = deadline - System.nanoTime();
            if (batch.size() >= settings.batchSize() || left <= 0 || stopping) {
              break;
            }
            var next = ready.poll(left, TimeUnit.NANOSECONDS);
            if (next != null) {
              batch.add(next);
            }
          }
        }
        send(batch);
        batch.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Sends one batch until the ledger has it. */
  private void send(List<UsageRecord> batch) throws InterruptedException {
    int attempt = 0;
    while (true) {
      try {
        usage.recordUsage(batch);
        recorded(batch);
        return;
      } catch (GatewayException e) {
        if (e.status() >= 400 && e.status() < 500 && e.status() != 429) {
          sendOneByOne(batch);
          return;
        }
        LOG.log(System.Logger.Level.DEBUG, "RecordUsage failed, will retry: " + e);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, "RecordUsage failed, will retry: " + e);
      }
      if (Thread.currentThread().isInterrupted()) {
        throw new InterruptedException();
      }
      Thread.sleep(Math.min(MAX_BACKOFF_MILLIS, FIRST_BACKOFF_MILLIS << Math.min(attempt++, 20)));
      usage.reconnectNow();
    }
  }

  /** A batch the ledger refused: each record alone, so that one bad record cannot hold the rest. */
  private void sendOneByOne(List<UsageRecord> batch) throws InterruptedException {
    for (var record : batch) {
      try {
        send1(record);
      } catch (GatewayException e) {
        LOG.log(
            System.Logger.Level.WARNING,
            record.getRequestId() + ": usage record refused by the ledger, dropped: " + e);
        recorded(List.of(record));
      }
    }
  }

  private void send1(UsageRecord record) throws InterruptedException {
    int attempt = 0;
    while (true) {
      try {
        usage.recordUsage(List.of(record));
        recorded(List.of(record));
        return;
      } catch (GatewayException e) {
        if (e.status() >= 400 && e.status() < 500 && e.status() != 429) {
          throw e;
        }
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.DEBUG, "RecordUsage failed, will retry: " + e);
      }
      if (Thread.currentThread().isInterrupted()) {
        throw new InterruptedException();
      }
      Thread.sleep(Math.min(MAX_BACKOFF_MILLIS, FIRST_BACKOFF_MILLIS << Math.min(attempt++, 20)));
      usage.reconnectNow();
    }
  }

  private void recorded(List<UsageRecord> batch) {
    var ids = new ArrayList<String>(batch.size());
    for (var record : batch) {
      ids.add(record.getRequestId());
    }
    synchronized (lock) {
      try {
        append(
            new Event(
                Event.RECORDED, null, null, null, null, null, 0, 0, clock.millis(), false, ids));
      } catch (IOException e) {
        // Without the mark the records are sent again after a restart; the ledger ignores repeats.
        LOG.log(System.Logger.Level.WARNING, "usage outbox write failed", e);
      }
      for (var id : ids) {
        var p = pending.remove(id);
        if (p == null) {
          continue;
        }
        var segment = segments.get(p.segment);
        if (segment != null) {
          segment.open--;
        }
        var lease = p.admitted.leaseId();
        if (lease != null && !lease.isEmpty()) {
          var count = perLease.get(lease);
          if (count != null && count.decrementAndGet() <= 0) {
            perLease.remove(lease);
          }
        }
      }
      deleteRecordedSegments();
    }
  }

  /**
   * Deletes the oldest segments while every request they admitted is recorded (oldest first, so a
   * {@code finished} line never outlives the {@code recorded} line that follows it).
   */
  private void deleteRecordedSegments() {
    while (!segments.isEmpty()) {
      var oldest = segments.firstEntry();
      if (oldest.getKey() == currentSeq || oldest.getValue().open > 0) {
        return;
      }
      try {
        Files.deleteIfExists(oldest.getValue().path);
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, "cannot delete " + oldest.getValue().path, e);
        return;
      }
      totalBytes -= oldest.getValue().bytes;
      segments.remove(oldest.getKey());
    }
  }

  /** Gives the flusher a few seconds to send what is ready, then syncs and closes the journal. */
  @PreDestroy
  public void close() {
    if (!opened) {
      executor.shutdownNow();
      return;
    }
    stopping = true;
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        LOG.log(
            System.Logger.Level.INFO,
            () -> pending.size() + " usage records stay in the outbox for the next start");
        executor.shutdownNow();
        executor.awaitTermination(2, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    fsync();
    synchronized (lock) {
      try {
        current.force(false);
        current.close();
        dirLock.release();
        lockChannel.close();
      } catch (IOException e) {
        LOG.log(System.Logger.Level.WARNING, "closing the usage outbox failed", e);
      }
      opened = false;
    }
  }
}
