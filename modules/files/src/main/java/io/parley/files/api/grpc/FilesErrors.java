package io.parley.files.api.grpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.GrpcErrors;
import io.parley.files.domain.FileInUseException;
import io.parley.files.domain.FileTooLargeException;
import io.parley.files.domain.FilesException;
import io.parley.files.domain.InvalidFileRequestException;
import io.parley.files.domain.JobStateException;
import io.parley.files.domain.NotFoundException;
import io.parley.files.domain.StorageQuotaExceededException;
import io.parley.files.domain.StoreException;
import java.util.HashMap;

/**
 * The one mapping from the files error family to gRPC statuses with an ErrorInfo: not found →
 * NOT_FOUND, invalid → INVALID_ARGUMENT, in use → FAILED_PRECONDITION ({@code file_in_use}), too
 * large → OUT_OF_RANGE ({@code file_too_large}), quota → RESOURCE_EXHAUSTED ({@code
 * insufficient_quota}), store failures → UNAVAILABLE.
 */
final class FilesErrors {

  private static final System.Logger LOG = System.getLogger(FilesErrors.class.getName());

  /**
   * Answers a unary call: the response of {@code work}, or its failure as a gRPC status.
   *
   * @param observer the call's observer
   * @param work the use case
   */
  static <T> void respond(
      io.grpc.stub.StreamObserver<T> observer, java.util.function.Supplier<T> work) {
    T response;
    try {
      response = work.get();
    } catch (RuntimeException e) {
      observer.onError(of(e));
      return;
    }
    observer.onNext(response);
    observer.onCompleted();
  }

  private FilesErrors() {}

  /** The status a failed call ends with. */
  static StatusRuntimeException toStatus(FilesException error) {
    var metadata = new HashMap<String, String>();
    error.param().ifPresent(p -> metadata.put(GrpcErrors.PARAM, p));
    String message = error.getMessage();
    Status.Code code =
        switch (error) {
          case NotFoundException e -> {
            metadata.put(GrpcErrors.TYPE, "invalid_request_error");
            yield Status.Code.NOT_FOUND;
          }
          case InvalidFileRequestException e -> {
            metadata.put(GrpcErrors.TYPE, "invalid_request_error");
            yield Status.Code.INVALID_ARGUMENT;
          }
          case JobStateException e -> {
            metadata.put(GrpcErrors.TYPE, "invalid_request_error");
            yield Status.Code.FAILED_PRECONDITION;
          }
          case FileInUseException e -> {
            metadata.put(GrpcErrors.TYPE, "invalid_request_error");
            yield Status.Code.FAILED_PRECONDITION;
          }
          case FileTooLargeException e -> {
            metadata.put(GrpcErrors.TYPE, "invalid_request_error");
            yield Status.Code.OUT_OF_RANGE;
          }
          case StorageQuotaExceededException e -> {
            metadata.put(GrpcErrors.TYPE, "insufficient_quota");
            yield Status.Code.RESOURCE_EXHAUSTED;
          }
          case StoreException e -> {
            LOG.log(System.Logger.Level.ERROR, "Files store failure", e);
            message = "The files service could not reach its store.";
            metadata.put(GrpcErrors.TYPE, "server_error");
            yield Status.Code.UNAVAILABLE;
          }
        };
    return GrpcErrors.toException(code, error.reason(), message, metadata);
  }

  /** An unexpected failure: logged here, reported without detail. */
  static StatusRuntimeException internal(RuntimeException error) {
    LOG.log(System.Logger.Level.ERROR, "Files service failure", error);
    var metadata = new HashMap<String, String>();
    metadata.put(GrpcErrors.TYPE, "server_error");
    return GrpcErrors.toException(
        Status.Code.INTERNAL, "server_error", "The files service failed.", metadata);
  }

  /** Any failure as a status. */
  static StatusRuntimeException of(RuntimeException error) {
    return error instanceof FilesException e ? toStatus(e) : internal(error);
  }
}
