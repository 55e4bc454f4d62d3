package io.parley.files.application;

import io.parley.common.ids.Ids;
import io.parley.files.domain.BlobStore;
import io.parley.files.domain.Caller;
import io.parley.files.domain.FileRepository;
import io.parley.files.domain.FileStatus;
import io.parley.files.domain.FileTooLargeException;
import io.parley.files.domain.InvalidFileRequestException;
import io.parley.files.domain.NotFoundException;
import io.parley.files.domain.StorageQuotaExceededException;
import io.parley.files.domain.StorageUsage;
import io.parley.files.domain.StoreException;
import io.parley.files.domain.StoredFile;
import io.parley.files.domain.Upload;
import io.parley.files.domain.UploadPart;
import io.parley.files.domain.UploadStatus;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The files use cases. A file is streamed into the blob store under a temporary name while its
 * SHA-256 is computed (and, for {@code fine-tune}, while it is validated line by line); only when
 * every byte arrived and passed is its row inserted and the blob renamed to its key, in one
 * transaction, so an upload that fails or is abandoned leaves neither a row nor a blob.
 */
public final class FileService {

  private static final System.Logger LOG = System.getLogger(FileService.class.getName());

  /** Purposes a client may upload files for. */
  public static final Set<String> PURPOSES =
      Set.of("assistants", "batch", "fine-tune", "vision", "user_data", "evals");

  /** The purpose whose files are validated as training data. */
  public static final String FINE_TUNE = "fine-tune";

  /** The purpose of the result files fine-tuning jobs write (never uploaded by clients). */
  public static final String FINE_TUNE_RESULTS = "fine-tune-results";

  private final FileRepository repository;
  private final BlobStore blobs;
  private final FileLimits limits;
  private final Clock clock;

  public FileService(FileRepository repository, BlobStore blobs, FileLimits limits, Clock clock) {
    this.repository = repository;
    this.blobs = blobs;
    this.limits = limits;
    this.clock = clock;
  }

  /** The limits in force. */
  public FileLimits limits() {
    return limits;
  }

  /** Blob key of a file's bytes. */
  static String blobKey(String fileId) {
    return "files/" + fileId;
  }

  /**
   * Starts receiving a file.
   *
   * @param purpose the purpose, when already known (else {@link IncomingFile#purpose} later)
   * @throws StorageQuotaExceededException when the organization is at its quota already
   */
  public IncomingFile receive(Caller caller, String filename, Optional<String> purpose) {
    checkFilename(filename, "file");
    purpose.ifPresent(FileService::checkPurpose);
    var stored = repository.usage(caller.organization()).bytes();
    if (limits.quotaBytes() > 0 && stored >= limits.quotaBytes()) {
      throw new StorageQuotaExceededException(stored, 0, limits.quotaBytes());
    }
    return new IncomingFile(caller, filename, purpose, stored);
  }

  /** A file whose bytes are arriving. Not thread-safe; closing it unfinished drops everything. */
  public final class IncomingFile implements AutoCloseable {
    private final String id = Ids.next("file-");
    private final Caller caller;
    private final String filename;
    private final long storedBefore;
    private final BlobStore.BlobWriter writer;
    private final MessageDigest sha256 = sha256();
    private final FineTuneValidator validator =
        new FineTuneValidator(limits.maxLineBytes(), limits.minExamples());
    private Optional<String> purpose;
    private long bytes;
    private boolean done;

    private IncomingFile(
        Caller caller, String filename, Optional<String> purpose, long storedBefore) {
      this.caller = caller;
      this.filename = filename;
      this.purpose = purpose;
      this.storedBefore = storedBefore;
      this.writer = blobs.create(blobKey(id));
    }

    /** Names the purpose when it was not known at the start. */
    public void purpose(String value) {
      checkPurpose(value);
      purpose = Optional.of(value);
    }

    /**
     * Takes the next bytes.
     *
     * @throws FileTooLargeException past the maximum file size
     * @throws StorageQuotaExceededException past the organization's quota
     */
    public void write(byte[] data, int offset, int length) {
      bytes += length;
      if (bytes > limits.maxFileBytes()) {
        throw new FileTooLargeException(
            "The file is larger than the " + limits.maxFileBytes() + " bytes allowed.", "file");
      }
      if (limits.quotaBytes() > 0 && storedBefore + bytes > limits.quotaBytes()) {
        throw new StorageQuotaExceededException(storedBefore, bytes, limits.quotaBytes());
      }
      sha256.update(data, offset, length);
      validator.accept(data, offset, length);
      writer.write(data, offset, length);
    }

    /**
     * Validates (for {@code fine-tune}) and stores the file.
     *
     * @throws InvalidFileRequestException without a purpose, or when the training file is invalid
     *     (param {@code file})
     */
    public StoredFile finish() {
      return finish(Optional.empty());
    }

    /** Like {@link #finish()}, completing {@code upload} in the same transaction. */
    StoredFile finishFor(String upload) {
      return finish(Optional.of(upload));
    }

    private StoredFile finish(Optional<String> upload) {
      try {
        var p =
            purpose.orElseThrow(
                () ->
                    new InvalidFileRequestException(
                        "Missing required parameter: 'purpose'.", "purpose"));
        if (p.equals(FINE_TUNE)) {
          var problem = validator.finish();
          if (problem.isPresent()) {
            throw new InvalidFileRequestException("invalid_file", problem.get(), "file");
          }
        }
        var file =
            new StoredFile(
                id,
                caller.organization(),
                caller.user(),
                filename,
                p,
                bytes,
                HexFormat.of().formatHex(sha256.digest()),
                FileStatus.PROCESSED,
                Optional.empty(),
                clock.millis());
        store(file, writer, upload);
        done = true;
        return file;
      } finally {
        if (!done) {
          writer.abort();
        }
      }
    }

    @Override
    public void close() {
      if (!done) {
        done = true;
        writer.abort();
      }
    }
  }

  private void store(StoredFile file, BlobStore.BlobWriter writer, Optional<String> upload) {
    var key = blobKey(file.id());
    boolean[] committed = {false};
    try {
      repository.insert(
          file,
          limits.quotaBytes(),
          upload,
          () -> {
            writer.commit();
            committed[0] = true;
          });
    } catch (RuntimeException e) {
      if (committed[0]) {
        deleteQuietly(key);
      }
      throw e;
    }
  }

  private void deleteQuietly(String key) {
    try {
      blobs.delete(key);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Could not delete blob " + key, e);
    }
  }

  /** A file of the caller's organization. */
  public StoredFile get(Caller caller, String id) {
    if (!wellFormedId(id)) {
      throw NotFoundException.file(id);
    }
    return repository.find(caller.organization(), id).orElseThrow(() -> NotFoundException.file(id));
  }

  /**
   * A page of files.
   *
   * @return up to {@code limit} files and whether more follow
   */
  public Page list(
      Caller caller,
      Optional<String> purpose,
      int limit,
      boolean ascending,
      Optional<String> after) {
    if (limit < 1 || limit > 10_000) {
      throw new InvalidFileRequestException("limit must be between 1 and 10000.", "limit");
    }
    purpose.filter(p -> !p.equals(FINE_TUNE_RESULTS)).ifPresent(FileService::checkPurpose);
    if (after.isPresent() && !wellFormedId(after.get())) {
      throw new InvalidFileRequestException(
          "No such File object for 'after': " + NotFoundException.shown(after.get()), "after");
    }
    var cursor =
        after.map(
            id ->
                repository
                    .find(caller.organization(), id)
                    .orElseThrow(
                        () ->
                            new InvalidFileRequestException(
                                "No such File object for 'after': " + id, "after")));
    var files = repository.list(caller.organization(), purpose, limit + 1, ascending, cursor);
    boolean more = files.size() > limit;
    return new Page(more ? files.subList(0, limit) : files, more);
  }

  /**
   * A page of files.
   *
   * @param files the files
   * @param hasMore whether more follow
   */
  public record Page(List<StoredFile> files, boolean hasMore) {}

  /**
   * Deletes a file: its row first (refused while a job uses it), then its blob.
   *
   * @throws io.parley.files.domain.FileInUseException while a job uses it
   */
  public StoredFile delete(Caller caller, String id) {
    if (!wellFormedId(id)) {
      throw NotFoundException.file(id);
    }
    var file =
        repository.delete(caller.organization(), id).orElseThrow(() -> NotFoundException.file(id));
    deleteQuietly(blobKey(id));
    return file;
  }

  /**
   * Opens a file's bytes. The stream fails with an {@link IOException} at its end when the bytes do
   * not match the SHA-256 recorded at upload.
   */
  public Content open(Caller caller, String id) {
    var file = get(caller, id);
    return new Content(file, new CheckedStream(blobs.open(blobKey(id)), file.sha256()));
  }

  /**
   * A file and its bytes.
   *
   * @param file the file
   * @param stream its bytes (the caller closes it)
   */
  public record Content(StoredFile file, InputStream stream) {}

  /**
   * Stores a file the service makes itself (a fine-tuning job's results): not validated, and not
   * refused by the organization's quota (its bytes still count towards it).
   *
   * @param bytes the whole content (small: a metrics CSV)
   */
  public StoredFile storeResult(Caller caller, String filename, String purpose, byte[] bytes) {
    var id = Ids.next("file-");
    var writer = blobs.create(blobKey(id));
    try {
      writer.write(bytes, 0, bytes.length);
      var file =
          new StoredFile(
              id,
              caller.organization(),
              caller.user(),
              filename,
              purpose,
              bytes.length,
              HexFormat.of().formatHex(sha256().digest(bytes)),
              FileStatus.PROCESSED,
              Optional.empty(),
              clock.millis());
      boolean[] committed = {false};
      try {
        repository.insert(
            file,
            0,
            Optional.empty(),
            () -> {
              writer.commit();
              committed[0] = true;
            });
      } catch (RuntimeException e) {
        if (committed[0]) {
          deleteQuietly(blobKey(id));
        }
        throw e;
      }
      return file;
    } finally {
      writer.close();
    }
  }

  /** Deletes a file the service made itself, whether or not a job uses it. */
  public void deleteResult(Caller caller, String id) {
    repository.delete(caller.organization(), id);
    deleteQuietly(blobKey(id));
  }

  /** Opens a file's bytes without the caller checks (a job reading its training file). */
  public InputStream openForJob(String organization, String id) {
    var file = repository.find(organization, id).orElseThrow(() -> NotFoundException.file(id));
    return new CheckedStream(blobs.open(blobKey(id)), file.sha256());
  }

  /** A file of an organization, if any (no id checks: for the jobs that use files). */
  public Optional<StoredFile> find(String organization, String id) {
    return wellFormedId(id) ? repository.find(organization, id) : Optional.empty();
  }

  /** What the organization stores, and its quota (0 = unlimited). */
  public StorageUsage usage(Caller caller) {
    return repository.usage(caller.organization());
  }

  // ---- Uploads API ----

  /** Starts a multi-part upload. */
  public Upload createUpload(
      Caller caller, String filename, String purpose, long bytes, String mimeType) {
    checkFilename(filename, "filename");
    checkPurpose(purpose);
    if (bytes < 1) {
      throw new InvalidFileRequestException("bytes must be positive.", "bytes");
    }
    if (bytes > limits.maxFileBytes()) {
      throw new FileTooLargeException(
          "The file would be larger than the " + limits.maxFileBytes() + " bytes allowed.",
          "bytes");
    }
    if (mimeType == null || mimeType.isBlank()) {
      throw new InvalidFileRequestException("mime_type is required.", "mime_type");
    }
    if (mimeType.length() > 255 || mimeType.chars().anyMatch(Character::isISOControl)) {
      throw new InvalidFileRequestException(
          "mime_type must be at most 255 characters without control characters.", "mime_type");
    }
    var stored = repository.usage(caller.organization()).bytes();
    if (limits.quotaBytes() > 0 && stored + bytes > limits.quotaBytes()) {
      throw new StorageQuotaExceededException(stored, bytes, limits.quotaBytes());
    }
    long now = clock.millis();
    // Uploads left to expire keep their parts until touched: close them (and drop their parts)
    // before a new one is counted against the quota.
    for (var overdue : repository.overdueUploads(caller.organization(), now)) {
      try {
        dropParts(repository.closeUpload(overdue, UploadStatus.EXPIRED));
      } catch (InvalidFileRequestException raced) {
        // closed meanwhile
      }
    }
    var upload =
        new Upload(
            Ids.next("upload_"),
            caller.organization(),
            caller.user(),
            filename,
            purpose,
            bytes,
            mimeType,
            UploadStatus.PENDING,
            now,
            now + limits.uploadTtl().toMillis(),
            Optional.empty());
    repository.insertUpload(upload, limits.quotaBytes());
    return upload;
  }

  /** An upload of the caller's organization, marked expired when its time ran out. */
  public Upload upload(Caller caller, String id) {
    if (!wellFormedId(id)) {
      throw NotFoundException.upload(id);
    }
    var upload =
        repository
            .findUpload(caller.organization(), id)
            .orElseThrow(() -> NotFoundException.upload(id));
    if (upload.status() == UploadStatus.PENDING && clock.millis() > upload.expiresMillis()) {
      try {
        dropParts(repository.closeUpload(id, UploadStatus.EXPIRED));
      } catch (InvalidFileRequestException raced) {
        // closed meanwhile
      }
      return repository.findUpload(caller.organization(), id).orElseThrow();
    }
    return upload;
  }

  private Upload pending(Caller caller, String id) {
    var upload = upload(caller, id);
    if (upload.status() != UploadStatus.PENDING) {
      throw new InvalidFileRequestException(
          "upload_not_pending",
          "Upload " + id + " is " + upload.status().name().toLowerCase() + ", not pending.",
          "upload_id");
    }
    return upload;
  }

  /** Starts receiving a part of a pending upload. */
  public IncomingPart receivePart(Caller caller, String uploadId) {
    var upload = pending(caller, uploadId);
    if (repository.parts(uploadId).size() >= limits.maxParts()) {
      throw new InvalidFileRequestException(
          "Upload " + uploadId + " has the most parts allowed (" + limits.maxParts() + ").",
          "data");
    }
    return new IncomingPart(upload);
  }

  /** A part whose bytes are arriving; closing it unfinished drops it. */
  public final class IncomingPart implements AutoCloseable {
    private final String id = Ids.next("part_");
    private final Upload upload;
    private final BlobStore.BlobWriter writer;
    private long bytes;
    private boolean done;

    private IncomingPart(Upload upload) {
      this.upload = upload;
      this.writer = blobs.create(new UploadPart(id, upload.id(), 0, 0).blobKey());
    }

    /** Takes the next bytes. */
    public void write(byte[] data, int offset, int length) {
      bytes += length;
      if (bytes > limits.maxPartBytes()) {
        throw new FileTooLargeException(
            "A part may hold at most " + limits.maxPartBytes() + " bytes.", "data");
      }
      if (bytes > upload.bytes()) {
        throw new InvalidFileRequestException(
            "The part is larger than the whole upload (" + upload.bytes() + " bytes).", "data");
      }
      writer.write(data, offset, length);
    }

    /** Stores the part. */
    public UploadPart finish() {
      try {
        if (bytes == 0) {
          throw new InvalidFileRequestException("A part needs at least one byte.", "data");
        }
        var part = new UploadPart(id, upload.id(), bytes, clock.millis());
        boolean[] committed = {false};
        try {
          repository.insertPart(
              part,
              () -> {
                writer.commit();
                committed[0] = true;
              });
        } catch (RuntimeException e) {
          if (committed[0]) {
            deleteQuietly(part.blobKey());
          }
          throw e;
        }
        done = true;
        return part;
      } finally {
        if (!done) {
          writer.abort();
        }
      }
    }

    @Override
    public void close() {
      if (!done) {
        done = true;
        writer.abort();
      }
    }
  }

  /**
   * Joins the parts in the given order into a file (validated like an upload) and completes the
   * upload.
   *
   * @param md5 lower-case hex MD5 of the whole file, checked when present
   */
  public Upload complete(
      Caller caller, String uploadId, List<String> partIds, Optional<String> md5) {
    var upload = pending(caller, uploadId);
    if (partIds.isEmpty()) {
      throw new InvalidFileRequestException("part_ids must name at least one part.", "part_ids");
    }
    Map<String, UploadPart> parts =
        repository.parts(uploadId).stream()
            .collect(Collectors.toMap(UploadPart::id, Function.identity()));
    var seen = new HashSet<String>();
    long total = 0;
    for (var id : partIds) {
      var part = parts.get(id);
      if (part == null) {
        throw new InvalidFileRequestException(
            "Part " + NotFoundException.shown(id) + " does not belong to upload " + uploadId + ".",
            "part_ids");
      }
      if (!seen.add(id)) {
        throw new InvalidFileRequestException(
            "Part " + NotFoundException.shown(id) + " is listed twice.", "part_ids");
      }
      total += part.bytes();
    }
    if (total != upload.bytes()) {
      throw new InvalidFileRequestException(
          "The parts hold "
              + total
              + " bytes but the upload was created for "
              + upload.bytes()
              + " bytes.",
          "part_ids");
    }
    var md5Digest = md5.map(m -> digest("MD5"));
    var incoming =
        new IncomingFile(
            caller,
            upload.filename(),
            Optional.of(upload.purpose()),
            repository.usage(caller.organization()).bytes());
    try (incoming) {
      var buffer = new byte[256 * 1024];
      for (var id : partIds) {
        try (var in = blobs.open(parts.get(id).blobKey())) {
          for (int n; (n = in.read(buffer)) > 0; ) {
            incoming.write(buffer, 0, n);
            if (md5Digest.isPresent()) {
              md5Digest.get().update(buffer, 0, n);
            }
          }
        } catch (IOException e) {
          throw new StoreException("Cannot read a part from the blob store.", e);
        }
      }
      if (md5.isPresent()) {
        var actual = HexFormat.of().formatHex(md5Digest.get().digest());
        if (!actual.equalsIgnoreCase(md5.get())) {
          throw new InvalidFileRequestException(
              "The parts' MD5 is " + actual + ", not " + md5.get() + ".", "md5");
        }
      }
      var file = incoming.finishFor(upload.id());
      dropParts(repository.closeUpload(uploadId, UploadStatus.COMPLETED));
      return upload.withStatus(UploadStatus.COMPLETED, Optional.of(file.id()));
    }
  }

  /** Cancels a pending upload and drops its parts. */
  public Upload cancel(Caller caller, String uploadId) {
    var upload = pending(caller, uploadId);
    dropParts(repository.closeUpload(uploadId, UploadStatus.CANCELLED));
    return upload.withStatus(UploadStatus.CANCELLED, Optional.empty());
  }

  private void dropParts(List<UploadPart> parts) {
    parts.forEach(p -> deleteQuietly(p.blobKey()));
  }

  /**
   * Whether an id can name a stored object: the ids this service hands out are a prefix and base-62
   * characters. Anything else (too long, control characters, NUL, which PostgreSQL refuses in text)
   * is not looked up at all.
   */
  static boolean wellFormedId(String id) {
    return id != null && WELL_FORMED_ID.matcher(id).matches();
  }

  private static final java.util.regex.Pattern WELL_FORMED_ID =
      java.util.regex.Pattern.compile("[A-Za-z0-9_-]{1,64}");

  private static void checkFilename(String filename, String param) {
    if (filename == null || filename.isBlank()) {
      throw new InvalidFileRequestException("A file name is required.", param);
    }
    if (filename.length() > 512 || filename.chars().anyMatch(Character::isISOControl)) {
      throw new InvalidFileRequestException(
          "The file name must be at most 512 characters without control characters.", param);
    }
  }

  private static void checkPurpose(String purpose) {
    if (purpose == null || purpose.isBlank()) {
      throw new InvalidFileRequestException("Missing required parameter: 'purpose'.", "purpose");
    }
    if (!PURPOSES.contains(purpose)) {
      throw new InvalidFileRequestException(
          "'"
              + (purpose.length() > 40 ? purpose.substring(0, 40) + "…" : purpose)
              + "' is not one of "
              + PURPOSES.stream().sorted().collect(Collectors.joining(", "))
              + " - 'purpose'",
          "purpose");
    }
  }

  static MessageDigest sha256() {
    return digest("SHA-256");
  }

  private static MessageDigest digest(String algorithm) {
    try {
      return MessageDigest.getInstance(algorithm);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(algorithm + " is missing from the JDK", e);
    }
  }

  /** Passes bytes through and checks their SHA-256 at the end. */
  static final class CheckedStream extends FilterInputStream {
    private final MessageDigest digest = sha256();
    private final String expected;
    private boolean checked;

    CheckedStream(InputStream in, String expected) {
      super(in);
      this.expected = expected;
    }

    @Override
    public int read() throws IOException {
      var one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = super.read(b, off, len);
      if (n > 0) {
        digest.update(b, off, n);
      } else if (n < 0 && !checked) {
        checked = true;
        var actual = HexFormat.of().formatHex(digest.digest());
        if (!actual.equals(expected)) {
          throw new IOException("Stored bytes do not match their SHA-256 (" + actual + ")");
        }
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      throw new IOException("skip is not supported on a checked stream");
    }
  }
}
