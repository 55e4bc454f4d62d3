package io.parley.embeddings.infrastructure.onnx;

import io.parley.embeddings.domain.ContextLengthExceededException;
import io.parley.embeddings.domain.EmbeddingEngine;
import io.parley.embeddings.domain.EmbeddingInput;
import io.parley.embeddings.domain.EmbeddingRequest;
import io.parley.embeddings.domain.EmbeddingResult;
import io.parley.embeddings.domain.ModelInfo;
import io.parley.embeddings.domain.Vectors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/**
 * An embedding model in process: the caller's thread tokenizes and checks the inputs, a {@link
 * DynamicBatcher} groups them with those of concurrent requests into single ONNX runs.
 */
public final class OnnxEmbeddingEngine implements EmbeddingEngine {

  /**
   * How requests are grouped.
   *
   * @param maxBatchSize most sequences per ONNX run
   * @param maxBatchTokens most padded tokens per ONNX run
   * @param maxWait longest a request waits for others to join its batch
   * @param queueCapacity most sequences waiting per model
   */
  public record Batching(
      int maxBatchSize, long maxBatchTokens, Duration maxWait, int queueCapacity) {}

  private final ModelInfo info;
  private final ModelTokenizer tokenizer;
  private final OnnxEncoder encoder;
  private final DynamicBatcher batcher;

  /**
   * @param info what the listing shows; {@code maxInputTokens} is enforced per input
   * @param tokenizer the model's tokenizer (closed with the engine)
   * @param encoder the model's session (closed with the engine)
   * @param batching how requests are grouped
   */
  public OnnxEmbeddingEngine(
      ModelInfo info, ModelTokenizer tokenizer, OnnxEncoder encoder, Batching batching) {
    this.info = info;
    this.tokenizer = tokenizer;
    this.encoder = encoder;
    this.batcher =
        new DynamicBatcher(
            info.id(),
            encoder::encode,
            batching.maxBatchSize(),
            batching.maxBatchTokens(),
            batching.maxWait(),
            batching.queueCapacity());
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  @Override
  public CompletableFuture<EmbeddingResult> embed(EmbeddingRequest request) {
    var inputs = request.inputs();
    var sequences = new ArrayList<long[]>(inputs.size());
    int tokens = 0;
    for (int i = 0; i < inputs.size(); i++) {
      long[] sequence =
          switch (inputs.get(i)) {
            case EmbeddingInput.Text text -> tokenizer.encode(text.text());
            case EmbeddingInput.Tokens ids -> tokenizer.wrap(ids.ids(), i);
          };
      if (sequence.length > info.maxInputTokens()) {
        throw new ContextLengthExceededException(info.maxInputTokens(), sequence.length, i);
      }
      sequences.add(sequence);
      tokens += sequence.length;
    }
    int promptTokens = tokens;
    var dimensions = request.dimensions();
    var queued = batcher.submit(sequences);
    var result =
        queued.thenApply(
            vectors -> {
              var list =
                  dimensions.isPresent()
                      ? Arrays.stream(vectors)
                          .map(v -> Vectors.truncate(v, dimensions.getAsInt()))
                          .toList()
                      : Arrays.asList(vectors);
              return new EmbeddingResult(list, promptTokens);
            });
    result.whenComplete(
        (ok, failure) -> {
          if (result.isCancelled()) {
            queued.cancel(false);
          }
        });
    return result;
  }

  /** ONNX runs so far (for measurements). */
  public long runs() {
    return encoder.runs();
  }

  /** Sequences encoded so far (for measurements). */
  public long sequences() {
    return batcher.sequences();
  }

  @Override
  public void close() {
    batcher.close();
    encoder.close();
    tokenizer.close();
  }
}
