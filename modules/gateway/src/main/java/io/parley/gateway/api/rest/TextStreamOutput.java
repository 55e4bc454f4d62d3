package io.parley.gateway.api.rest;

import io.parley.gateway.application.ChunkStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Streams a legacy completion: one {@code text_completion} chunk per engine chunk (the echoed
 * prompt on a choice's first chunk), the usage chunk when asked for, then {@code [DONE]}. Same
 * threading, error and cancellation behaviour as {@link ChatStreamOutput}.
 */
final class TextStreamOutput implements jakarta.ws.rs.core.StreamingOutput {

  private static final Logger LOG = Logger.getLogger(TextStreamOutput.class.getName());

  private final ChunkStream chunks;
  private final CompletionCall call;
  private final String id;
  private final long created;
  private final String requestId;
  private final int retryAfterSeconds;
  private final Runnable onEnd;

  TextStreamOutput(
      ChunkStream chunks,
      CompletionCall call,
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
          new TextChunkEncoder(out, id, created, call.model(), call.includeUsage(), chunks::ready);
      try (chunks) {
        try {
          while (chunks.hasNext()) {
            var chunk = chunks.nextMerged();
            var text =
                chunk.getEchoText().isEmpty()
                    ? chunk.getText()
                    : chunk.getEchoText() + chunk.getText();
            encoder.text(
                chunk.getIndex(),
                text,
                call.logprobs()
                    ? OpenAiShapes.textLogprobs(
                        chunk.getEchoLogprobsList(), chunk.getLogprobsList())
                    : null,
                OpenAiShapes.finishReason(chunk.getFinishReason()));
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
                  Errors.classify(e, "POST", "/v1/completions", retryAfterSeconds, requestId),
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
