package io.parley.files.infrastructure.blob;

import io.micrometer.core.instrument.Counter;
import io.parley.common.telemetry.Telemetry;
import io.parley.files.domain.BlobStore;
import java.io.InputStream;

/**
 * Counts what passes through a blob store: bytes written by uploads ({@code
 * parley_files_uploaded_bytes_total}, aborted ones included), bytes of committed blobs ({@code
 * parley_files_stored_bytes_total}) and blobs committed and deleted ({@code
 * parley_files_blobs_total{operation}}), labelled with the store kind.
 */
public final class MeteredBlobStore implements BlobStore {

  private final BlobStore store;
  private final Counter uploaded;
  private final Counter stored;
  private final Counter committed;
  private final Counter deleted;

  /**
   * @param store the store counted
   * @param kind {@code directory} or {@code s3}
   */
  public MeteredBlobStore(BlobStore store, String kind) {
    this.store = store;
    var meters = Telemetry.get().meters();
    uploaded =
        Counter.builder("parley.files.uploaded.bytes")
            .description("Bytes written to the blob store, aborted uploads included")
            .tag("store", kind)
            .register(meters);
    stored =
        Counter.builder("parley.files.stored.bytes")
            .description("Bytes of blobs committed")
            .tag("store", kind)
            .register(meters);
    committed =
        Counter.builder("parley.files.blobs")
            .description("Blobs committed and deleted")
            .tag("store", kind)
            .tag("operation", "commit")
            .register(meters);
    deleted =
        Counter.builder("parley.files.blobs")
            .description("Blobs committed and deleted")
            .tag("store", kind)
            .tag("operation", "delete")
            .register(meters);
  }

  @Override
  public BlobWriter create(String key) {
    var writer = store.create(key);
    return new BlobWriter() {
      private long bytes;
      private boolean done;

      @Override
      public void write(byte[] data, int offset, int length) {
        writer.write(data, offset, length);
        bytes += length;
        uploaded.increment(length);
      }

      @Override
      public void commit() {
        writer.commit();
        if (!done) {
          done = true;
          stored.increment(bytes);
          committed.increment();
        }
      }

      @Override
      public void abort() {
        writer.abort();
      }

      @Override
      public void close() {
        writer.close();
      }
    };
  }

  @Override
  public InputStream open(String key) {
    return store.open(key);
  }

  @Override
  public void delete(String key) {
    store.delete(key);
    deleted.increment();
  }

  @Override
  public boolean healthy() {
    return store.healthy();
  }
}
