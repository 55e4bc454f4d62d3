package io.parley.files.api.grpc;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.parley.files.application.FileService;
import io.parley.files.domain.Caller;
import io.parley.files.domain.FilesException;
import io.parley.files.domain.InvalidFileRequestException;
import io.parley.files.domain.StoredFile;
import io.parley.files.domain.Upload;
import io.parley.files.domain.UploadPart;
import io.parley.files.v1.*;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * The gRPC edge of the files service. Uploads are client streams written to the store as each
 * message arrives (the next message is requested only when the previous one was written, so HTTP/2
 * flow control holds the sender back); downloads are server streams that read the next chunk only
 * when the transport is ready for it. A cancelled upload drops its temporary blob.
 */
public final class FilesGrpcService extends FilesServiceGrpc.FilesServiceImplBase {

  private static final System.Logger LOG = System.getLogger(FilesGrpcService.class.getName());

  private final FileService files;
  private final int chunkBytes;

  /**
   * @param files the use cases
   * @param chunkBytes bytes per download message
   */
  public FilesGrpcService(FileService files, int chunkBytes) {
    this.files = files;
    this.chunkBytes = chunkBytes;
  }

  private static Caller caller(io.parley.files.v1.Caller caller) {
    return new Caller(caller.getOrganization(), caller.getUser());
  }

  private static Optional<String> nonEmpty(String value) {
    return value.isEmpty() ? Optional.empty() : Optional.of(value);
  }

  @Override
  public StreamObserver<UploadFileRequest> uploadFile(StreamObserver<UploadFileResponse> response) {
    return new StreamObserver<>() {
      private FileService.IncomingFile incoming;
      private boolean failed;

      @Override
      public void onNext(UploadFileRequest message) {
        if (failed) {
          return;
        }
        try {
          switch (message.getPartCase()) {
            case METADATA -> {
              if (incoming != null) {
                throw new InvalidFileRequestException("Metadata was sent twice.", "metadata");
              }
              var m = message.getMetadata();
              incoming =
                  files.receive(caller(m.getCaller()), m.getFilename(), nonEmpty(m.getPurpose()));
            }
            case DATA -> {
              var data = message.getData();
              started().write(data.toByteArray(), 0, data.size());
            }
            case FINISH -> {
              if (!message.getFinish().getPurpose().isEmpty()) {
                started().purpose(message.getFinish().getPurpose());
              }
            }
            default -> throw new InvalidFileRequestException("Empty upload message.", "part");
          }
        } catch (RuntimeException e) {
          fail(e);
        }
      }

      private FileService.IncomingFile started() {
        if (incoming == null) {
          throw new InvalidFileRequestException("The first message must be metadata.", "metadata");
        }
        return incoming;
      }

      private void fail(RuntimeException e) {
        failed = true;
        if (incoming != null) {
          incoming.close();
        }
        response.onError(FilesErrors.of(e));
      }

      @Override
      public void onError(Throwable t) {
        failed = true;
        if (incoming != null) {
          incoming.close();
        }
      }

      @Override
      public void onCompleted() {
        if (failed) {
          return;
        }
        StoredFile file;
        try {
          file = started().finish();
        } catch (RuntimeException e) {
          fail(e);
          return;
        }
        response.onNext(UploadFileResponse.newBuilder().setFile(toProto(file)).build());
        response.onCompleted();
      }
    };
  }

  @Override
  public void getFile(GetFileRequest request, StreamObserver<GetFileResponse> o) {
    FilesErrors.respond(
        o,
        () ->
            GetFileResponse.newBuilder()
                .setFile(toProto(files.get(caller(request.getCaller()), request.getFileId())))
                .build());
  }

  @Override
  public void listFiles(ListFilesRequest request, StreamObserver<ListFilesResponse> o) {
    FilesErrors.respond(
        o,
        () -> {
          var page =
              files.list(
                  caller(request.getCaller()),
                  nonEmpty(request.getPurpose()),
                  request.getLimit() == 0 ? 10_000 : request.getLimit(),
                  request.getOrder() == SortOrder.SORT_ORDER_ASC,
                  nonEmpty(request.getAfter()));
          var out = ListFilesResponse.newBuilder().setHasMore(page.hasMore());
          page.files().forEach(f -> out.addFiles(toProto(f)));
          return out.build();
        });
  }

  @Override
  public void deleteFile(DeleteFileRequest request, StreamObserver<DeleteFileResponse> o) {
    FilesErrors.respond(
        o,
        () -> {
          var file = files.delete(caller(request.getCaller()), request.getFileId());
          return DeleteFileResponse.newBuilder().setFileId(file.id()).setDeleted(true).build();
        });
  }

  @Override
  public void getFileContent(
      GetFileContentRequest request, StreamObserver<GetFileContentResponse> observer) {
    var out = (ServerCallStreamObserver<GetFileContentResponse>) observer;
    FileService.Content content;
    try {
      content = files.open(caller(request.getCaller()), request.getFileId());
    } catch (RuntimeException e) {
      out.onError(FilesErrors.of(e));
      return;
    }
    new Download(content, out, chunkBytes).start();
  }

  /** Sends a file chunk by chunk whenever the transport is ready. */
  private static final class Download implements Runnable {
    private final FileService.Content content;
    private final ServerCallStreamObserver<GetFileContentResponse> out;
    private final byte[] buffer;
    private boolean first = true;
    private boolean done;

    Download(
        FileService.Content content,
        ServerCallStreamObserver<GetFileContentResponse> out,
        int chunkBytes) {
      this.content = content;
      this.out = out;
      this.buffer = new byte[chunkBytes];
    }

    void start() {
      out.setOnCancelHandler(this::close);
      out.setOnReadyHandler(this);
      run();
    }

    @Override
    public synchronized void run() {
      try {
        while (!done && out.isReady()) {
          var message = GetFileContentResponse.newBuilder();
          if (first) {
            message.setFile(toProto(content.file()));
            first = false;
          }
          int n = readFully(content.stream(), buffer);
          if (n > 0) {
            message.setData(ByteString.copyFrom(buffer, 0, n));
          }
          if (n > 0 || message.hasFile()) {
            out.onNext(message.build());
          }
          if (n < buffer.length) {
            close();
            out.onCompleted();
          }
        }
      } catch (IOException e) {
        LOG.log(System.Logger.Level.ERROR, "Reading file " + content.file().id() + " failed", e);
        close();
        out.onError(
            Status.DATA_LOSS.withDescription("The stored file could not be read.").asException());
      } catch (RuntimeException e) {
        close();
        if (!out.isCancelled()) {
          out.onError(e instanceof FilesException f ? FilesErrors.toStatus(f) : FilesErrors.of(e));
        }
      }
    }

    private synchronized void close() {
      if (!done) {
        done = true;
        try {
          content.stream().close();
        } catch (IOException e) {
          // nothing to do
        }
      }
    }

    private static int readFully(InputStream in, byte[] buffer) throws IOException {
      int total = 0;
      while (total < buffer.length) {
        int n = in.read(buffer, total, buffer.length - total);
        if (n < 0) {
          return total == 0 ? -1 : total;
        }
        total += n;
      }
      return total;
    }
  }

  @Override
  public void createUpload(CreateUploadRequest request, StreamObserver<CreateUploadResponse> o) {
    FilesErrors.respond(
        o,
        () ->
            CreateUploadResponse.newBuilder()
                .setUpload(
                    toProto(
                        files.createUpload(
                            caller(request.getCaller()),
                            request.getFilename(),
                            request.getPurpose(),
                            request.getBytes(),
                            request.getMimeType())))
                .build());
  }

  @Override
  public StreamObserver<AddUploadPartRequest> addUploadPart(
      StreamObserver<AddUploadPartResponse> response) {
    return new StreamObserver<>() {
      private FileService.IncomingPart incoming;
      private boolean failed;

      @Override
      public void onNext(AddUploadPartRequest message) {
        if (failed) {
          return;
        }
        try {
          switch (message.getPartCase()) {
            case TARGET -> {
              if (incoming != null) {
                throw new InvalidFileRequestException("The target was sent twice.", "target");
              }
              var t = message.getTarget();
              incoming = files.receivePart(caller(t.getCaller()), t.getUploadId());
            }
            case DATA -> {
              if (incoming == null) {
                throw new InvalidFileRequestException(
                    "The first message must name the upload.", "target");
              }
              var data = message.getData();
              incoming.write(data.toByteArray(), 0, data.size());
            }
            default -> throw new InvalidFileRequestException("Empty part message.", "part");
          }
        } catch (RuntimeException e) {
          fail(e);
        }
      }

      private void fail(RuntimeException e) {
        failed = true;
        if (incoming != null) {
          incoming.close();
        }
        response.onError(FilesErrors.of(e));
      }

      @Override
      public void onError(Throwable t) {
        failed = true;
        if (incoming != null) {
          incoming.close();
        }
      }

      @Override
      public void onCompleted() {
        if (failed) {
          return;
        }
        UploadPart part;
        try {
          if (incoming == null) {
            throw new InvalidFileRequestException(
                "The first message must name the upload.", "target");
          }
          part = incoming.finish();
        } catch (RuntimeException e) {
          fail(e);
          return;
        }
        response.onNext(AddUploadPartResponse.newBuilder().setPart(toProto(part)).build());
        response.onCompleted();
      }
    };
  }

  @Override
  public void completeUpload(
      CompleteUploadRequest request, StreamObserver<CompleteUploadResponse> o) {
    FilesErrors.respond(
        o,
        () -> {
          var caller = caller(request.getCaller());
          var upload =
              files.complete(
                  caller,
                  request.getUploadId(),
                  request.getPartIdsList(),
                  nonEmpty(request.getMd5()));
          return CompleteUploadResponse.newBuilder()
              .setUpload(toProto(upload, Optional.of(files.get(caller, upload.fileId().get()))))
              .build();
        });
  }

  @Override
  public void cancelUpload(CancelUploadRequest request, StreamObserver<CancelUploadResponse> o) {
    FilesErrors.respond(
        o,
        () ->
            CancelUploadResponse.newBuilder()
                .setUpload(
                    toProto(files.cancel(caller(request.getCaller()), request.getUploadId())))
                .build());
  }

  @Override
  public void getStorageUsage(
      GetStorageUsageRequest request, StreamObserver<GetStorageUsageResponse> o) {
    FilesErrors.respond(
        o,
        () -> {
          var usage = files.usage(caller(request.getCaller()));
          return GetStorageUsageResponse.newBuilder()
              .setBytes(usage.bytes())
              .setFiles(usage.files())
              .setQuotaBytes(files.limits().quotaBytes())
              .build();
        });
  }

  static File toProto(StoredFile f) {
    var out =
        File.newBuilder()
            .setId(f.id())
            .setOrganization(f.organization())
            .setBytes(f.bytes())
            .setCreatedAt(f.createdMillis() / 1000)
            .setFilename(f.filename())
            .setPurpose(f.purpose())
            .setSha256(f.sha256())
            .setStatus(
                switch (f.status()) {
                  case UPLOADED -> FileStatus.FILE_STATUS_UPLOADED;
                  case PROCESSED -> FileStatus.FILE_STATUS_PROCESSED;
                  case ERROR -> FileStatus.FILE_STATUS_ERROR;
                });
    f.statusDetails().ifPresent(out::setStatusDetails);
    return out.build();
  }

  private static io.parley.files.v1.Upload toProto(Upload u) {
    return toProto(u, Optional.empty());
  }

  private static io.parley.files.v1.Upload toProto(Upload u, Optional<StoredFile> file) {
    var out =
        io.parley.files.v1.Upload.newBuilder()
            .setId(u.id())
            .setBytes(u.bytes())
            .setCreatedAt(u.createdMillis() / 1000)
            .setExpiresAt(u.expiresMillis() / 1000)
            .setFilename(u.filename())
            .setPurpose(u.purpose())
            .setStatus(
                switch (u.status()) {
                  case PENDING -> UploadStatus.UPLOAD_STATUS_PENDING;
                  case COMPLETED -> UploadStatus.UPLOAD_STATUS_COMPLETED;
                  case CANCELLED -> UploadStatus.UPLOAD_STATUS_CANCELLED;
                  case EXPIRED -> UploadStatus.UPLOAD_STATUS_EXPIRED;
                });
    file.ifPresent(f -> out.setFile(toProto(f)));
    return out.build();
  }

  private static io.parley.files.v1.UploadPart toProto(UploadPart p) {
    return io.parley.files.v1.UploadPart.newBuilder()
        .setId(p.id())
        .setCreatedAt(p.createdMillis() / 1000)
        .setUploadId(p.uploadId())
        .build();
  }
}
