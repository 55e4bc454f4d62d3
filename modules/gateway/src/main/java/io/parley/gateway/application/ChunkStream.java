package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;
import io.parley.gateway.domain.GatewayException;
import io.parley.inference.v1.GenerateChunk;
import io.parley.inference.v1.GenerateChunkOrBuilder;
import io.parley.inference.v1.GenerateRequest;
import java.util.List;

/**
 * The chunks of every prompt of one request, prompt after prompt, with choice indexes shifted to
 * {@code prompt * n + index}. Chunks that only carry usage are consumed here; {@link #usage()} is
 * the sum once the stream is exhausted. Read by one thread; {@link #cancel()} may come from any.
 */
public final class ChunkStream implements AutoCloseable {

  private final InferenceBackend inference;
  private final List<GenerateRequest> prompts;
  private final TokenUsage.Builder usage = TokenUsage.newBuilder();
  private volatile InferenceBackend.StreamedGeneration current;
  private volatile boolean currentReported;
  private volatile long currentGenerated;
  private volatile boolean cancelled;
  private volatile GatewayException ended;
  private int prompt;
  private GenerateChunk next;

  private final Drain drain;
  private final Runnable endOnDrain =
      () -> end(io.parley.gateway.domain.ServiceUnavailableException.shuttingDown(1));

  ChunkStream(InferenceBackend inference, List<GenerateRequest> prompts, Drain drain) {
    this.inference = inference;
    this.prompts = prompts;
    this.current = inference.openStream(prompts.getFirst());
    this.drain = drain;
    drain.track(endOnDrain);
  }

  /**
   * Waits for the next chunk with content (text, logprobs, echo or a finish reason).
   *
   * @throws io.parley.gateway.domain.GatewayException when a call fails
   */
  public boolean hasNext() {
    while (next == null) {
      if (ended != null) {
        throw ended;
      }
      if (current.hasNext()) {
        take(current.next());
      } else if (prompt + 1 < prompts.size() && !cancelled) {
        prompt++;
        currentReported = false;
        currentGenerated = 0;
        current = inference.openStream(prompts.get(prompt));
      } else if (ended != null) {
        throw ended;
      } else {
        return false;
      }
    }
    return true;
  }

  /**
   * Ends the stream from any thread: the generation is stopped (its tokens still count) and the
   * reader's next {@link #hasNext()} throws {@code why}, which it writes as an error event.
   */
  public void end(GatewayException why) {
    ended = why;
    cancel();
  }

  private void take(GenerateChunk chunk) {
    if (chunk.hasUsage()) {
      TextGeneration.add(usage, chunk.getUsage());
      currentReported = true;
    } else {
      currentGenerated += generatedTokens(chunk);
    }
    if (hasContent(chunk)) {
      int offset = prompt * prompts.get(prompt).getN();
      next = offset == 0 ? chunk : chunk.toBuilder().setIndex(offset + chunk.getIndex()).build();
    }
  }

  /**
   * Whether a chunk with content has already arrived from the call in progress; never waits nor
   * fails (the end of a call, a failure and the start of the next prompt are left to {@link
   * #hasNext()}, so what was merged so far is written first).
   */
  private boolean arrived() {
    while (next == null && current.chunkReady()) {
      current.hasNext();
      take(current.next());
    }
    return next != null;
  }

  /**
   * The next chunk merged with the chunks of the same choice that have already arrived, so a reader
   * that fell behind writes one event for them instead of one per token: their text in order, their
   * tokens (and logprobs) appended; a finish reason ends the merge. Never waits for a chunk that
   * has not arrived. Call {@link #hasNext()} first.
   */
  public GenerateChunk nextMerged() {
    var chunk = next();
    if (!mergeable(chunk) || !arrived() || !follows(chunk, next)) {
      return chunk;
    }
    var merged = chunk.toBuilder();
    var text = new StringBuilder(chunk.getText());
    do {
      var following = next();
      text.append(following.getText());
      merged.addAllLogprobs(following.getLogprobsList());
      merged.setFinishReasonValue(following.getFinishReasonValue());
    } while (mergeable(merged) && arrived() && follows(merged, next));
    return merged.setText(text.toString()).build();
  }

  private static boolean mergeable(GenerateChunkOrBuilder chunk) {
    return chunk.getFinishReasonValue() == 0;
  }

  /** Whether {@code following} continues {@code chunk}'s choice and can join it. */
  private static boolean follows(GenerateChunkOrBuilder chunk, GenerateChunk following) {
    return following.getIndex() == chunk.getIndex()
        && following.getEchoText().isEmpty()
        && following.getEchoLogprobsCount() == 0;
  }

  /** Whether another chunk has already arrived (reading it would not wait). */
  public boolean ready() {
    return next != null || current.ready();
  }

  /** The next chunk; call {@link #hasNext()} first. */
  public GenerateChunk next() {
    var chunk = next;
    next = null;
    return chunk;
  }

  /** Token counts of every prompt, complete once {@link #hasNext()} returned false. */
  public TokenUsage usage() {
    return usage.build();
  }

  /**
   * The tokens to bill, also after a failure or a cancellation. Calls that ended normally, and
   * calls stopped by {@link #cancel()} (the engine reports what it generated up to the stop), count
   * exactly as the engine reported them. Only a call whose engine did not answer the stop in time
   * (or failed) counts its estimated prompt tokens plus the tokens received so far: the tokens
   * listed in each chunk, or one per chunk with text when a chunk lists none.
   *
   * @param estimate the estimate made when the request was admitted
   */
  public TokenUsage billable(TokenEstimate estimate) {
    var billed = usage.clone();
    if (!currentReported) {
      int promptTokens =
          prompt < estimate.promptTokens().size() ? estimate.promptTokens().get(prompt) : 0;
      int completion = (int) Math.min(Integer.MAX_VALUE, currentGenerated);
      TextGeneration.add(
          billed,
          TokenUsage.newBuilder()
              .setPromptTokens(promptTokens)
              .setCompletionTokens(completion)
              .setTotalTokens(promptTokens + completion)
              .build());
    }
    return billed.build();
  }

  private static long generatedTokens(GenerateChunk chunk) {
    if (chunk.getLogprobsCount() > 0) {
      return chunk.getLogprobsCount();
    }
    return chunk.getText().isEmpty() ? 0 : 1;
  }

  /**
   * Stops the call in progress: the engine stops generating and reports what it generated, which is
   * then counted exactly (see {@link #billable}). Called on the reading thread.
   */
  public void cancel() {
    cancelled = true;
    var stream = current;
    if (currentReported) {
      stream.cancel();
      return;
    }
    stream
        .stop()
        .ifPresent(
            reported -> {
              TextGeneration.add(usage, reported);
              currentReported = true;
            });
  }

  @Override
  public void close() {
    drain.untrack(endOnDrain);
    cancel();
  }

  private static boolean hasContent(GenerateChunk chunk) {
    return !chunk.getText().isEmpty()
        || chunk.getLogprobsCount() > 0
        || chunk.getFinishReasonValue() != 0
        || !chunk.getEchoText().isEmpty()
        || chunk.getEchoLogprobsCount() > 0;
  }
}
