package io.parley.files.domain;

import java.io.InputStream;

/**
 * Where file bytes live: a directory (a volume) or an S3-compatible bucket. A blob is written under
 * a temporary name and becomes visible under its key only when {@link BlobWriter#commit} runs, so
 * an aborted write leaves nothing behind. Every method may throw {@link StoreException}.
 */
public interface BlobStore {

  /**
   * Starts a new blob that will be visible under {@code key} once committed; until then it is
   * invisible (a temporary file, an incomplete multipart upload).
   */
  BlobWriter create(String key);

  /**
   * Opens a committed blob.
   *
   * @throws StoreException when it does not exist or cannot be read
   */
  InputStream open(String key);

  /** Deletes a committed blob; nothing happens when it does not exist. */
  void delete(String key);

  /** Whether the store can be written and read now. */
  boolean healthy();

  /** A blob being written. Not thread-safe: one writer per upload. */
  interface BlobWriter extends AutoCloseable {

    /** Appends bytes. */
    void write(byte[] bytes, int offset, int length);

    /** Makes the blob visible under its key, atomically. Committing again does nothing. */
    void commit();

    /** Drops the temporary blob (also after a commit: then it does nothing). */
    void abort();

    /** Aborts unless committed. */
    @Override
    void close();
  }
}
