package io.parley.gateway.infrastructure;

import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.parley.common.grpc.GrpcErrors;
import io.parley.common.grpc.RemoteError;
import io.parley.files.v1.AddUploadPartRequest;
import io.parley.files.v1.AddUploadPartResponse;
import io.parley.files.v1.AddUploadPartTarget;
import io.parley.files.v1.Caller;
import io.parley.files.v1.CancelUploadRequest;
import io.parley.files.v1.CancelUploadResponse;
import io.parley.files.v1.CompleteUploadRequest;
import io.parley.files.v1.CompleteUploadResponse;
import io.parley.files.v1.CreateUploadRequest;
import io.parley.files.v1.CreateUploadResponse;
import io.parley.files.v1.DeleteFileRequest;
import io.parley.files.v1.File;
import io.parley.files.v1.FilesServiceGrpc;
import io.parley.files.v1.GetFileContentRequest;
import io.parley.files.v1.GetFileContentResponse;
import io.parley.files.v1.GetFileRequest;
import io.parley.files.v1.GetStorageUsageRequest;
import io.parley.files.v1.GetStorageUsageResponse;
import io.parley.files.v1.ListFilesRequest;
import io.parley.files.v1.ListFilesResponse;
import io.parley.files.v1.UploadFileRequest;
import io.parley.files.v1.UploadFileResponse;
import io.parley.files.v1.UploadFinish;
import io.parley.files.v1.UploadMetadata;
import io.parley.gateway.application.FileBackend;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.ServiceNotConfiguredException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;

/**
 * Client of {@code parley.files.v1.FilesService}. Uploads are client streams that send the next
 * chunk only when the transport is ready for it (so a fast client waits on a slow store instead of
 * filling memory); downloads are server streams read one message at a time. Every call has a
 * deadline; failures become the gateway's errors. {@link #enabled()} is false when {@code
 * parley.files.target} is not set: the files endpoints then answer 501.
 */
@ApplicationScoped
public class FilesClient implements FileBackend {

  /** The service's name in messages. */
  public static final String SERVICE = "files";

  private Channel channel;
  private boolean enabled;
  private long deadlineMillis;
  private long transferDeadlineMillis;
  private int retryAfterSeconds;

  /** For CDI proxies. */
  protected FilesClient() {}

  /**
   * @param channel channel to the files service (opened on first use)
   * @param target the configured target; empty disables the client
   * @param deadlineMillis deadline of the unary calls
   * @param transferDeadlineMillis deadline of one upload or download
   * @param retryAfterSeconds {@code retry-after} sent with transient failures
   */
  @Inject
  public FilesClient(
      @Files Channel channel,
      @ConfigProperty(name = "parley.files.target") Optional<String> target,
      @ConfigProperty(name = "parley.files.deadline-ms") long deadlineMillis,
      @ConfigProperty(name = "parley.files.transfer-deadline-ms") long transferDeadlineMillis,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds) {
    this.channel = channel;
    this.enabled = target.filter(t -> !t.isBlank()).isPresent();
    this.deadlineMillis = deadlineMillis;
    this.transferDeadlineMillis = transferDeadlineMillis;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  @Override
  public boolean enabled() {
    return enabled;
  }

  /** The 501 of an installation without a files service. */
  public static GatewayException notConfigured() {
    return new ServiceNotConfiguredException("files", "Files", "parley.files.target");
  }

  @Override
  public ByteSink<UploadFileResponse> upload(Caller caller, String filename, String purpose) {
    var sink =
        new Sink<UploadFileRequest, UploadFileResponse>(
            bytes -> UploadFileRequest.newBuilder().setData(bytes).build(),
            p ->
                UploadFileRequest.newBuilder()
                    .setFinish(UploadFinish.newBuilder().setPurpose(p))
                    .build());
    sink.start(
        transferStub().uploadFile(sink),
        UploadFileRequest.newBuilder()
            .setMetadata(
                UploadMetadata.newBuilder()
                    .setCaller(caller)
                    .setFilename(filename)
                    .setPurpose(purpose))
            .build());
    return sink;
  }

  @Override
  public ByteSink<AddUploadPartResponse> addPart(Caller caller, String uploadId) {
    var sink =
        new Sink<AddUploadPartRequest, AddUploadPartResponse>(
            bytes -> AddUploadPartRequest.newBuilder().setData(bytes).build(), null);
    sink.start(
        transferStub().addUploadPart(sink),
        AddUploadPartRequest.newBuilder()
            .setTarget(AddUploadPartTarget.newBuilder().setCaller(caller).setUploadId(uploadId))
            .build());
    return sink;
  }

  private FilesServiceGrpc.FilesServiceStub transferStub() {
    requireEnabled();
    return FilesServiceGrpc.newStub(channel)
        .withDeadlineAfter(transferDeadlineMillis, TimeUnit.MILLISECONDS);
  }

  /** A client stream with flow control: writes wait until the transport is ready. */
  private final class Sink<Q, R> implements ByteSink<R>, ClientResponseObserver<Q, R> {
    private final Function<ByteString, Q> data;
    private final Function<String, Q> finish;
    private final CompletableFuture<R> answer = new CompletableFuture<>();
    private final Object ready = new Object();
    private ClientCallStreamObserver<Q> requests;

    Sink(Function<ByteString, Q> data, Function<String, Q> finish) {
      this.data = data;
      this.finish = finish;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Q> stream) {
      this.requests = stream;
      stream.setOnReadyHandler(this::signal);
    }

    void start(io.grpc.stub.StreamObserver<Q> stream, Q first) {
      stream.onNext(first);
    }

    private void signal() {
      synchronized (ready) {
        ready.notifyAll();
      }
    }

    @Override
    public void onNext(R value) {
      answer.complete(value);
    }

    @Override
    public void onError(Throwable t) {
      answer.completeExceptionally(t);
      signal();
    }

    @Override
    public void onCompleted() {
      signal();
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
      synchronized (ready) {
        while (!requests.isReady() && !answer.isDone()) {
          try {
            ready.wait(100);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abort();
            throw new GatewayException(
                503, GatewayException.SERVER_ERROR, null, null, "The upload was interrupted.");
          }
        }
      }
      if (answer.isDone()) {
        await();
        throw new GatewayException(
            502, GatewayException.SERVER_ERROR, null, null, "The files service ended the upload.");
      }
      requests.onNext(data.apply(ByteString.copyFrom(bytes, offset, length)));
    }

    @Override
    public void purpose(String purpose) {
      if (finish != null && !answer.isDone()) {
        requests.onNext(finish.apply(purpose));
      }
    }

    @Override
    public R finish() {
      if (!answer.isDone()) {
        requests.onCompleted();
      }
      return await().orElseThrow();
    }

    /** The answer, or empty with the failure thrown as a gateway error. */
    private Optional<R> await() {
      try {
        return Optional.of(answer.get(transferDeadlineMillis + 5_000, TimeUnit.MILLISECONDS));
      } catch (ExecutionException e) {
        throw mapped(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        abort();
        throw new GatewayException(
            503, GatewayException.SERVER_ERROR, null, null, "The upload was interrupted.");
      } catch (java.util.concurrent.TimeoutException e) {
        abort();
        throw mapped(io.grpc.Status.DEADLINE_EXCEEDED.asRuntimeException());
      }
    }

    @Override
    public void abort() {
      if (!answer.isDone()) {
        requests.cancel("The client went away.", null);
      }
    }
  }

  @Override
  public ByteSource download(Caller caller, String id) {
    requireEnabled();
    var context = Context.current().withCancellation();
    var previous = context.attach();
    Iterator<GetFileContentResponse> messages;
    File file;
    try {
      messages =
          FilesServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(transferDeadlineMillis, TimeUnit.MILLISECONDS)
              .getFileContent(
                  GetFileContentRequest.newBuilder().setCaller(caller).setFileId(id).build());
      var first = messages.next();
      file = first.getFile();
      var source = new Source(context, messages, file, first.getData());
      return source;
    } catch (StatusRuntimeException e) {
      context.cancel(e);
      throw mapped(e);
    } finally {
      context.detach(previous);
    }
  }

  private final class Source implements ByteSource {
    private final Context.CancellableContext context;
    private final Iterator<GetFileContentResponse> messages;
    private final File file;
    private ByteString pending;

    Source(
        Context.CancellableContext context,
        Iterator<GetFileContentResponse> messages,
        File file,
        ByteString first) {
      this.context = context;
      this.messages = messages;
      this.file = file;
      this.pending = first;
    }

    @Override
    public File file() {
      return file;
    }

    @Override
    public Optional<byte[]> next() {
      try {
        if (pending != null && !pending.isEmpty()) {
          var out = pending.toByteArray();
          pending = null;
          return Optional.of(out);
        }
        pending = null;
        while (messages.hasNext()) {
          var data = messages.next().getData();
          if (!data.isEmpty()) {
            return Optional.of(data.toByteArray());
          }
        }
        return Optional.empty();
      } catch (StatusRuntimeException e) {
        throw mapped(e);
      }
    }

    @Override
    public void close() {
      context.cancel(null);
    }
  }

  @Override
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = FilesUnavailable.class)
  @Timeout(10_000)
  public File get(Caller caller, String id) {
    return call(s -> s.getFile(GetFileRequest.newBuilder().setCaller(caller).setFileId(id).build()))
        .getFile();
  }

  @Override
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = FilesUnavailable.class)
  @Timeout(10_000)
  public ListFilesResponse list(ListFilesRequest request) {
    return call(s -> s.listFiles(request));
  }

  @Override
  @Timeout(10_000)
  public void delete(Caller caller, String id) {
    call(s -> s.deleteFile(DeleteFileRequest.newBuilder().setCaller(caller).setFileId(id).build()));
  }

  @Override
  @Timeout(10_000)
  public CreateUploadResponse createUpload(CreateUploadRequest request) {
    return call(s -> s.createUpload(request));
  }

  @Override
  public CompleteUploadResponse completeUpload(CompleteUploadRequest request) {
    requireEnabled();
    try {
      return FilesServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(transferDeadlineMillis, TimeUnit.MILLISECONDS)
          .completeUpload(request);
    } catch (StatusRuntimeException e) {
      throw mapped(e);
    }
  }

  @Override
  @Timeout(10_000)
  public CancelUploadResponse cancelUpload(Caller caller, String uploadId) {
    return call(
        s ->
            s.cancelUpload(
                CancelUploadRequest.newBuilder().setCaller(caller).setUploadId(uploadId).build()));
  }

  @Override
  @Retry(maxRetries = 2, delay = 50, jitter = 25, retryOn = FilesUnavailable.class)
  @Timeout(10_000)
  public GetStorageUsageResponse storage(Caller caller) {
    return call(
        s -> s.getStorageUsage(GetStorageUsageRequest.newBuilder().setCaller(caller).build()));
  }

  private void requireEnabled() {
    if (!enabled) {
      throw notConfigured();
    }
  }

  private <T> T call(Function<FilesServiceGrpc.FilesServiceBlockingStub, T> rpc) {
    requireEnabled();
    try {
      return rpc.apply(
          FilesServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS));
    } catch (StatusRuntimeException e) {
      throw mapped(e);
    }
  }

  private GatewayException mapped(Throwable failure) {
    return toGatewayException(GrpcErrors.parse(failure), retryAfterSeconds);
  }

  /** The files service could not be reached (retried for idempotent calls). */
  public static final class FilesUnavailable extends GatewayException {
    private static final long serialVersionUID = 1L;

    FilesUnavailable(int retryAfterSeconds) {
      super(
          503,
          GatewayException.SERVER_ERROR,
          "files_service_unavailable",
          null,
          "The files service is unavailable. Please retry shortly.",
          Map.of("retry-after", Integer.toString(retryAfterSeconds)));
    }
  }

  /**
   * Maps a failed call to the files service: not found 404, invalid 400 (with its param), in use
   * 409, too large 413, over the storage quota 429 {@code insufficient_quota}, unavailable 503.
   */
  public static GatewayException toGatewayException(RemoteError error, int retryAfterSeconds) {
    String reason = error.reason().isEmpty() ? null : error.reason();
    String param = error.param().orElse(null);
    String message = error.message().isEmpty() ? "Invalid request." : error.message();
    return switch (error.code()) {
      case NOT_FOUND ->
          new GatewayException(404, GatewayException.INVALID_REQUEST, reason, param, message);
      case INVALID_ARGUMENT ->
          new GatewayException(400, GatewayException.INVALID_REQUEST, reason, param, message);
      case FAILED_PRECONDITION, ALREADY_EXISTS, ABORTED ->
          new GatewayException(409, GatewayException.INVALID_REQUEST, reason, param, message);
      case OUT_OF_RANGE ->
          new GatewayException(413, GatewayException.INVALID_REQUEST, reason, param, message);
      case RESOURCE_EXHAUSTED ->
          new GatewayException(
              429,
              "insufficient_quota",
              "insufficient_quota",
              param,
              message,
              Map.of("x-should-retry", "false"));
      case UNAVAILABLE -> new FilesUnavailable(retryAfterSeconds);
      case DEADLINE_EXCEEDED ->
          new GatewayException(
              504,
              GatewayException.SERVER_ERROR,
              "timeout",
              null,
              "The files service did not answer in time.");
      case CANCELLED ->
          new GatewayException(
              400,
              GatewayException.INVALID_REQUEST,
              "cancelled",
              null,
              "The request was cancelled.");
      default ->
          new io.parley.gateway.domain.ServerErrorException(
              "files failed: " + error.code() + " " + reason + ": " + error.message());
    };
  }
}
