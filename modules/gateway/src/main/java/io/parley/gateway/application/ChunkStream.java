package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;
import io.parley.gateway.infrastructure.GenerationStream;
import io.parley.gateway.infrastructure.InferenceClient;
import io.parley.inference.v1.GenerateChunk;
import io.parley.inference.v1.GenerateRequest;
import java.util.List;

/**
 * The chunks of every prompt of one request, prompt after prompt, with choice indexes shifted to
 * {@code prompt * n + index}. Chunks that only carry usage are consumed here; {@link #usage()} is
 * the sum once the stream is exhausted. Read by one thread; {@link #cancel()} may come from any.
 */
public final class ChunkStream implements AutoCloseable {

  private final InferenceClient inference;
  private final List<GenerateRequest> prompts;
  private final TokenUsage.Builder usage = TokenUsage.newBuilder();
  private volatile GenerationStream current;
  private volatile boolean cancelled;
  private int prompt;
  private GenerateChunk next;

  ChunkStream(InferenceClient inference, List<GenerateRequest> prompts) {
    this.inference = inference;
    this.prompts = prompts;
    this.current = inference.openStream(prompts.getFirst());
  }

  /**
   * Waits for the next chunk with content (text, logprobs, echo or a finish reason).
   *
   * @throws io.parley.gateway.domain.GatewayException when a call fails
   */
  public boolean hasNext() {
    while (next == null) {
      if (current.hasNext()) {
        var chunk = current.next();
        if (chunk.hasUsage()) {
          TextGeneration.add(usage, chunk.getUsage());
        }
        if (hasContent(chunk)) {
          int offset = prompt * prompts.get(prompt).getN();
          next =
              offset == 0 ? chunk : chunk.toBuilder().setIndex(offset + chunk.getIndex()).build();
        }
      } else if (prompt + 1 < prompts.size() && !cancelled) {
        prompt++;
        current = inference.openStream(prompts.get(prompt));
      } else {
        return false;
      }
    }
    return true;
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

  /** Cancels the call in progress; the engine stops generating. */
  public void cancel() {
    cancelled = true;
    current.cancel();
  }

  @Override
  public void close() {
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
