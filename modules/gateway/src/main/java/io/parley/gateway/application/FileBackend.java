package io.parley.gateway.application;

import io.parley.files.v1.AddUploadPartResponse;
import io.parley.files.v1.CancelUploadResponse;
import io.parley.files.v1.CompleteUploadRequest;
import io.parley.files.v1.CompleteUploadResponse;
import io.parley.files.v1.CreateUploadRequest;
import io.parley.files.v1.CreateUploadResponse;
import io.parley.files.v1.File;
import io.parley.files.v1.GetStorageUsageResponse;
import io.parley.files.v1.ListFilesRequest;
import io.parley.files.v1.ListFilesResponse;
import io.parley.files.v1.UploadFileResponse;

/**
 * The files service as the gateway's use cases see it (implemented by the gRPC client). Every
 * method fails with a {@link io.parley.gateway.domain.GatewayException}.
 */
public interface FileBackend {

  /** Whether a files service is configured. */
  boolean enabled();

  /**
   * Starts streaming a file to the service.
   *
   * @param purpose the purpose, or empty when it comes after the bytes
   */
  ByteSink<UploadFileResponse> upload(
      io.parley.files.v1.Caller caller, String filename, String purpose);

  /** Starts streaming one part of an upload. */
  ByteSink<AddUploadPartResponse> addPart(io.parley.files.v1.Caller caller, String uploadId);

  /** One file. */
  File get(io.parley.files.v1.Caller caller, String id);

  /** A page of files. */
  ListFilesResponse list(ListFilesRequest request);

  /** Deletes a file. */
  void delete(io.parley.files.v1.Caller caller, String id);

  /** Opens a file's bytes. */
  ByteSource download(io.parley.files.v1.Caller caller, String id);

  /** Starts a multi-part upload. */
  CreateUploadResponse createUpload(CreateUploadRequest request);

  /** Completes a multi-part upload. */
  CompleteUploadResponse completeUpload(CompleteUploadRequest request);

  /** Cancels a multi-part upload. */
  CancelUploadResponse cancelUpload(io.parley.files.v1.Caller caller, String uploadId);

  /** What an organization stores. */
  GetStorageUsageResponse storage(io.parley.files.v1.Caller caller);

  /**
   * Bytes on their way to the service, sent as the service is ready for them (flow control): a
   * write waits rather than buffering.
   *
   * @param <R> the service's answer
   */
  interface ByteSink<R> {
    /** Sends the next bytes, waiting while the service is not ready for them. */
    void write(byte[] bytes, int offset, int length);

    /** Sends the purpose learned after the bytes (files only). */
    void purpose(String purpose);

    /** Ends the stream and waits for the answer. */
    R finish();

    /** Cancels the stream: the service keeps nothing. Safe to call at any time. */
    void abort();
  }

  /** A file's bytes coming from the service. */
  interface ByteSource extends AutoCloseable {
    /** The file (known before the first byte). */
    File file();

    /** The next bytes; empty when the file is done. */
    java.util.Optional<byte[]> next();

    /** Stops receiving (cancels the call when unfinished). */
    @Override
    void close();
  }
}
