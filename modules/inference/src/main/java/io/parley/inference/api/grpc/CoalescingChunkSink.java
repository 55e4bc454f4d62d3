package io.parley.inference.api.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.parley.inference.domain.FinishReason;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.InferenceException;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.Usage;
import io.parley.inference.v1.GenerateChunk;
import java.util.ArrayDeque;
import java.util.List;

/**
 * Sends a streamed generation's chunks and keeps up with the engine. While the transport is ready
 * each delta is sent as its own chunk, as soon as it is produced (one token per chunk). While it is
 * not (the client or the network is slower than the engine), new deltas wait here and merge into
 * the waiting chunk of the same choice — text appended in order, the tokens (with their logprobs,
 * if any) appended, so the token count of a chunk stays the length of its {@code logprobs}; a
 * finish reason closes the chunk it lands on. When the transport turns ready again ({@link
 * ServerCallStreamObserver#setOnReadyHandler}), everything waiting goes out: a few larger messages
 * instead of many small ones. The usage chunk and the end of the call, or the error, are sent after
 * whatever still waits.
 *
 * <p>Calls come from the engine's thread (the sink methods) and from the call's executor (the ready
 * handler); one lock orders them, so the observer is never called concurrently.
 */
final class CoalescingChunkSink implements GenerationSink {

  /**
   * Bytes the transport may hold before the call counts as not ready: a few token chunks. Above it,
   * tokens merge here instead of queueing one message each behind a slow reader (gRPC's default is
   * 32 KiB, about a thousand token messages).
   */
  static final int READY_THRESHOLD_BYTES = 512;

  private final ServerCallStreamObserver<GenerateChunk> call;
  private final Object lock = new Object();
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  private boolean closed;

  /**
   * Registers the ready handler: call it in the service method, before it returns.
   *
   * @param call the server side of the stream
   */
  CoalescingChunkSink(ServerCallStreamObserver<GenerateChunk> call) {
    this.call = call;
    call.setOnReadyThreshold(READY_THRESHOLD_BYTES);
    call.setOnReadyHandler(this::onReady);
  }

  /** A chunk not sent yet, still open for the deltas of its choice. */
  private static final class Waiting {
    final GenerateChunk.Builder chunk;
    final StringBuilder text;

    Waiting(GenerateChunk.Builder chunk) {
      this.chunk = chunk;
      this.text = new StringBuilder(chunk.getText());
    }

    boolean open() {
      return chunk.getFinishReasonValue() == 0 && !chunk.hasUsage();
    }

    GenerateChunk build() {
      return chunk.setText(text.toString()).build();
    }
  }

  @Override
  public void onEcho(int index, String promptText, List<TokenLogprob> promptTokens) {
    offer(
        GenerateChunk.newBuilder()
            .setIndex(index)
            .setEchoText(promptText)
            .addAllEchoLogprobs(ProtoMapping.tokenLogprobs(promptTokens)));
  }

  @Override
  public void onDelta(int index, String text, List<TokenLogprob> tokens) {
    if (text.isEmpty() && tokens.isEmpty()) {
      return;
    }
    var chunk = GenerateChunk.newBuilder().setIndex(index).setText(text);
    for (var token : tokens) {
      chunk.addLogprobs(ProtoMapping.tokenLogprob(token));
    }
    offer(chunk);
  }

  @Override
  public void onFinish(int index, FinishReason reason) {
    offer(
        GenerateChunk.newBuilder()
            .setIndex(index)
            .setFinishReason(ProtoMapping.finishReason(reason)));
  }

  @Override
  public void onComplete(Usage usage) {
    synchronized (lock) {
      if (closed || call.isCancelled()) {
        return;
      }
      sendWaiting();
      call.onNext(GenerateChunk.newBuilder().setUsage(ProtoMapping.usage(usage)).build());
      call.onCompleted();
      closed = true;
    }
  }

  @Override
  public void onError(InferenceException error) {
    synchronized (lock) {
      if (closed || call.isCancelled()) {
        return;
      }
      sendWaiting();
      call.onError(InferenceErrors.toStatus(error));
      closed = true;
    }
  }

  private void offer(GenerateChunk.Builder chunk) {
    synchronized (lock) {
      if (closed || call.isCancelled()) {
        return;
      }
      if (waiting.isEmpty() && call.isReady()) {
        call.onNext(chunk.build());
        return;
      }
      var into = openFor(chunk.getIndex());
      if (into != null && mergeable(chunk)) {
        into.text.append(chunk.getText());
        into.chunk.addAllLogprobs(chunk.getLogprobsList());
        if (chunk.getFinishReasonValue() != 0) {
          into.chunk.setFinishReasonValue(chunk.getFinishReasonValue());
        }
      } else {
        waiting.add(new Waiting(chunk));
      }
    }
  }

  /** The last waiting chunk of choice {@code index}, when it can still take deltas. */
  private Waiting openFor(int index) {
    var it = waiting.descendingIterator();
    while (it.hasNext()) {
      var candidate = it.next();
      if (candidate.chunk.getIndex() == index) {
        return candidate.open() ? candidate : null;
      }
    }
    return null;
  }

  /** Echo starts a choice and stays on a chunk of its own; deltas and finishes merge. */
  private static boolean mergeable(GenerateChunk.Builder chunk) {
    return chunk.getEchoText().isEmpty() && chunk.getEchoLogprobsCount() == 0 && !chunk.hasUsage();
  }

  private void onReady() {
    synchronized (lock) {
      if (!closed && !call.isCancelled()) {
        sendWaiting();
      }
    }
  }

  private void sendWaiting() {
    Waiting next;
    while ((next = waiting.poll()) != null) {
      call.onNext(next.build());
    }
  }
}
