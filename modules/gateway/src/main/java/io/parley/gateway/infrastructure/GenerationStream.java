package io.parley.gateway.infrastructure;

import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.GrpcErrors;
import io.parley.inference.v1.GenerateChunk;
import java.util.Iterator;

/**
 * The chunks of one {@code StreamGenerate} call, read on the caller's thread. {@link #cancel()}
 * cancels the call at once (the engine stops generating); it is safe to call at any time, also
 * after the end.
 */
public final class GenerationStream implements AutoCloseable {

  private final Context.CancellableContext context;
  private final Iterator<GenerateChunk> chunks;
  private final String model;
  private final int retryAfterSeconds;

  GenerationStream(
      Context.CancellableContext context,
      Iterator<GenerateChunk> chunks,
      String model,
      int retryAfterSeconds) {
    this.context = context;
    this.chunks = chunks;
    this.model = model;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /**
   * Waits for the next chunk.
   *
   * @return whether there is one
   * @throws io.parley.gateway.domain.GatewayException when the call failed
   */
  public boolean hasNext() {
    try {
      return chunks.hasNext();
    } catch (StatusRuntimeException e) {
      cancel();
      throw RemoteErrors.toGatewayException(GrpcErrors.parse(e), model, retryAfterSeconds);
    }
  }

  /** The next chunk; call {@link #hasNext()} first. */
  public GenerateChunk next() {
    return chunks.next();
  }

  /** Cancels the call; the engine stops generating. */
  public void cancel() {
    context.cancel(null);
  }

  @Override
  public void close() {
    cancel();
  }
}
