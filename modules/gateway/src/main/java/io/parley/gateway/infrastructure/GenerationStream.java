package io.parley.gateway.infrastructure;

import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import io.parley.common.grpc.GrpcErrors;
import io.parley.common.v1.TokenUsage;
import io.parley.gateway.application.InferenceBackend;
import io.parley.inference.v1.GenerateChunk;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.InferenceServiceGrpc;
import io.parley.inference.v1.StopGeneration;
import io.parley.inference.v1.StoppableGenerateRequest;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The chunks of one {@code StoppableStreamGenerate} call, read on the caller's thread. {@link
 * #stop()} asks the engine to stop and waits briefly for the usage of what it generated, so a
 * client that goes away is billed exactly; {@link #cancel()} cancels the call at once. Both are
 * safe to call at any time, also after the end.
 */
public final class GenerationStream implements InferenceBackend.StreamedGeneration {

  /** How long {@link #stop()} waits for the engine's final usage before cancelling outright. */
  private static final long STOP_WAIT_MILLIS = 2_000;

  private static final Object END = new Object();

  private final Context.CancellableContext context;
  private final String model;
  private final int retryAfterSeconds;
  private final LinkedBlockingQueue<Object> events = new LinkedBlockingQueue<>();
  private final StreamObserver<StoppableGenerateRequest> requests;
  private Object next;
  private boolean ended;
  private boolean stopped;

  GenerationStream(
      Context.CancellableContext context,
      InferenceServiceGrpc.InferenceServiceStub stub,
      GenerateRequest request,
      String model,
      int retryAfterSeconds) {
    this.context = context;
    this.model = model;
    this.retryAfterSeconds = retryAfterSeconds;
    var observed = GenerationMeters.stream(model);
    StreamObserver<GenerateChunk> responses =
        new StreamObserver<>() {
          @Override
          public void onNext(GenerateChunk chunk) {
            observed.chunk(chunk);
            events.add(chunk);
          }

          @Override
          public void onError(Throwable t) {
            events.add(t);
          }

          @Override
          public void onCompleted() {
            events.add(END);
          }
        };
    var previous = context.attach();
    try {
      this.requests = stub.stoppableStreamGenerate(responses);
    } finally {
      context.detach(previous);
    }
    requests.onNext(StoppableGenerateRequest.newBuilder().setStart(request).build());
  }

  /**
   * Waits for the next chunk.
   *
   * @return whether there is one
   * @throws io.parley.gateway.domain.GatewayException when the call failed
   */
  @Override
  public boolean hasNext() {
    if (next != null) {
      return true;
    }
    if (ended) {
      return false;
    }
    Object event;
    try {
      event = events.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      cancel();
      throw new IllegalStateException("interrupted while streaming", e);
    }
    return accept(event);
  }

  private boolean accept(Object event) {
    if (event == END) {
      ended = true;
      return false;
    }
    if (event instanceof Throwable failure) {
      ended = true;
      cancel();
      throw RemoteErrors.toGatewayException(GrpcErrors.parse(failure), model, retryAfterSeconds);
    }
    next = event;
    return true;
  }

  /** Whether another event has already arrived (reading it would not wait). */
  @Override
  public boolean ready() {
    return next != null || !events.isEmpty();
  }

  /**
   * Whether the next event has arrived and is a chunk: reading it would neither wait nor fail (the
   * end of the call and failures are left to {@link #hasNext()}).
   */
  @Override
  public boolean chunkReady() {
    return next != null || events.peek() instanceof GenerateChunk;
  }

  /** The next chunk; call {@link #hasNext()} first. */
  @Override
  public GenerateChunk next() {
    var chunk = (GenerateChunk) next;
    next = null;
    return chunk;
  }

  /**
   * Stops the generation early and returns the usage the engine reports for what it generated
   * (chunks not yet read are skipped). Empty when the engine did not answer in time or the call had
   * already ended without a usage report; the call is cancelled then.
   */
  @Override
  public Optional<TokenUsage> stop() {
    if (ended || stopped) {
      return Optional.empty();
    }
    stopped = true;
    try {
      requests.onNext(
          StoppableGenerateRequest.newBuilder()
              .setStop(StopGeneration.getDefaultInstance())
              .build());
      requests.onCompleted();
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_WAIT_MILLIS);
      if (next instanceof GenerateChunk chunk && chunk.hasUsage()) {
        return Optional.of(chunk.getUsage());
      }
      while (true) {
        long left = deadline - System.nanoTime();
        var event = left > 0 ? events.poll(left, TimeUnit.NANOSECONDS) : null;
        if (event == null || event == END || event instanceof Throwable) {
          return Optional.empty();
        }
        if (event instanceof GenerateChunk chunk && chunk.hasUsage()) {
          return Optional.of(chunk.getUsage());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } catch (RuntimeException e) {
      return Optional.empty();
    } finally {
      ended = true;
      next = null;
      cancel();
    }
  }

  /** Cancels the call; the engine stops generating. */
  @Override
  public void cancel() {
    context.cancel(null);
  }

  @Override
  public void close() {
    cancel();
  }
}
