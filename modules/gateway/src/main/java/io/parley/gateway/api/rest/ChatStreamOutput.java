package io.parley.gateway.api.rest;

import io.parley.gateway.application.ChunkStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.BitSet;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Streams a chat completion as OpenAI does: per choice a role chunk, content chunks, a finish
 * chunk; then the usage chunk when asked for, then {@code [DONE]}. Runs on the request thread,
 * reading the gRPC stream on that same thread, so each token goes from the engine to the socket
 * without a hand-off. A failure after the 200 becomes an error event; a client that went away
 * cancels the generation at once. When the stream ends, however it ends, {@code onEnd} runs once
 * (after the generation was cancelled, if it was): it settles the tokens used.
 */
final class ChatStreamOutput implements jakarta.ws.rs.core.StreamingOutput {

  private static final Logger LOG = Logger.getLogger(ChatStreamOutput.class.getName());

  private final ChunkStream chunks;
  private final ChatCompletionCall call;
  private final String id;
  private final long created;
  private final String requestId;
  private final int retryAfterSeconds;
  private final Runnable onEnd;

  ChatStreamOutput(
      ChunkStream chunks,
      ChatCompletionCall call,
      String id,
      long created,
      String requestId,
      int retryAfterSeconds,
      Runnable onEnd) {
    this.chunks = chunks;
    this.call = call;
    this.id = id;
    this.created = created;
    this.requestId = requestId;
    this.retryAfterSeconds = retryAfterSeconds;
    this.onEnd = onEnd;
  }

  @Override
  public void write(OutputStream out) {
    try {
      var encoder =
          new ChatChunkEncoder(out, id, created, call.model(), call.includeUsage(), chunks::ready);
      var started = new BitSet();
      try (chunks) {
        try {
          while (chunks.hasNext()) {
            var chunk = chunks.nextMerged();
            int index = chunk.getIndex();
            if (!started.get(index)) {
              started.set(index);
              encoder.role(index);
            }
            if (!chunk.getText().isEmpty() || chunk.getLogprobsCount() > 0) {
              encoder.content(
                  index,
                  chunk.getText(),
                  call.logprobs() ? OpenAiShapes.chatLogprobs(chunk.getLogprobsList()) : null);
            }
            var finish = OpenAiShapes.finishReason(chunk.getFinishReason());
            if (finish != null) {
              encoder.finish(index, finish);
            }
          }
          if (encoder.includeUsage()) {
            encoder.usage(OpenAiShapes.usage(chunks.usage()));
          }
          encoder.done();
        } catch (IOException e) {
          throw e;
        } catch (RuntimeException e) {
          chunks.cancel();
          encoder.error(
              Errors.envelope(
                  Errors.classify(e, "POST", "/v1/chat/completions", retryAfterSeconds, requestId),
                  requestId));
        }
      } catch (IOException e) {
        LOG.log(Level.FINE, requestId + ": client went away; generation cancelled", e);
      }
    } finally {
      onEnd.run();
    }
  }
}
