package io.parley.safety.infrastructure;

import io.parley.embeddings.domain.EmbeddingInput;
import io.parley.embeddings.domain.EmbeddingRequest;
import io.parley.embeddings.domain.EmbeddingsException;
import io.parley.embeddings.domain.EngineOverloadedException;
import io.parley.embeddings.domain.ModelInfo;
import io.parley.embeddings.infrastructure.onnx.BundledModel;
import io.parley.embeddings.infrastructure.onnx.ModelTokenizer;
import io.parley.embeddings.infrastructure.onnx.OnnxEmbeddingEngine;
import io.parley.embeddings.infrastructure.onnx.OnnxEncoder;
import io.parley.safety.domain.ClassifierFailureException;
import io.parley.safety.domain.ClassifierOverloadedException;
import io.parley.safety.domain.SentenceEncoder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * The bundled all-MiniLM-L6-v2 (int8) on ONNX Runtime, in process, through the embeddings module's
 * engine (tokenizer, session, dynamic batcher). Texts longer than the model's 256 tokens are cut
 * into windows of at most 254 tokens (plus [CLS] and [SEP]) that overlap by {@value #OVERLAP}
 * tokens, each encoded on its own.
 *
 * <p>An int8 model gives slightly different vectors for a sequence batched with others than alone
 * (activations are quantised per batch). The heads were trained on vectors encoded one sequence per
 * run; {@code maxBatchSize = 1} reproduces that exactly.
 */
public final class OnnxSentenceEncoder implements SentenceEncoder, AutoCloseable {

  /** Id of the encoder, as the heads record it. */
  public static final String ID = "all-minilm-l6-v2-q";

  /** Tokens shared by consecutive windows of a long text. */
  static final int OVERLAP = 32;

  private final ModelTokenizer tokenizer;
  private final OnnxEmbeddingEngine engine;
  private final int prefix;
  private final int specials;
  private final int window;

  private OnnxSentenceEncoder(
      ModelTokenizer tokenizer, OnnxEmbeddingEngine engine, int maxInputTokens) {
    this.tokenizer = tokenizer;
    this.engine = engine;
    // The special tokens around a sequence: what an empty text encodes to, split where "a" and
    // "b" first differ.
    this.specials = tokenizer.encode("").length;
    long[] a = tokenizer.encode("a");
    long[] b = tokenizer.encode("b");
    int at = 0;
    while (at < a.length && a[at] == b[at]) {
      at++;
    }
    this.prefix = at;
    this.window = maxInputTokens - specials;
    if (window <= OVERLAP) {
      throw new IllegalArgumentException("The encoder's window is too small");
    }
  }

  /**
   * Loads the bundled model.
   *
   * @param threads ONNX Runtime intra-op threads (0 = all processors)
   * @param batching how concurrent windows are grouped into ONNX runs
   */
  public static OnnxSentenceEncoder load(int threads, OnnxEmbeddingEngine.Batching batching) {
    var model = BundledModel.MINILM;
    var tokenizer = ModelTokenizer.load(model.tokenizer());
    try {
      var encoder = OnnxEncoder.load(model.model(), model.pooling(), threads);
      var info = new ModelInfo(ID, "parley", 0, 384, false, model.maxInputTokens());
      return new OnnxSentenceEncoder(
          tokenizer,
          new OnnxEmbeddingEngine(info, tokenizer, encoder, batching),
          model.maxInputTokens());
    } catch (RuntimeException e) {
      tokenizer.close();
      throw e;
    }
  }

  /** Loads the bundled model encoding one window per ONNX run, as the heads were trained. */
  public static OnnxSentenceEncoder unbatched(int threads) {
    return load(threads, new OnnxEmbeddingEngine.Batching(1, 16384, Duration.ZERO, 1 << 16));
  }

  @Override
  public String id() {
    return ID;
  }

  @Override
  public CompletableFuture<List<List<float[]>>> encode(List<String> texts) {
    var windows = new ArrayList<EmbeddingInput>();
    var counts = new int[texts.size()];
    for (int i = 0; i < texts.size(); i++) {
      var pieces = windows(texts.get(i));
      counts[i] = pieces.size();
      windows.addAll(pieces);
    }
    CompletableFuture<io.parley.embeddings.domain.EmbeddingResult> embedded;
    try {
      embedded = engine.embed(new EmbeddingRequest(windows, OptionalInt.empty()));
    } catch (EmbeddingsException e) {
      return CompletableFuture.failedFuture(translate(e));
    }
    return embedded.handle(
        (result, failure) -> {
          if (failure != null) {
            throw new CompletionException(translate(unwrap(failure)));
          }
          var vectors = result.vectors();
          var grouped = new ArrayList<List<float[]>>(texts.size());
          int at = 0;
          for (int count : counts) {
            grouped.add(List.copyOf(vectors.subList(at, at + count)));
            at += count;
          }
          return (List<List<float[]>>) grouped;
        });
  }

  /** The windows of a text: its tokens without the special ones, cut with overlap. */
  List<EmbeddingInput> windows(String text) {
    long[] full = tokenizer.encode(text);
    int start = prefix;
    int end = full.length - (specials - prefix);
    int length = Math.max(0, end - start);
    var pieces = new ArrayList<EmbeddingInput>();
    int from = 0;
    do {
      int to = Math.min(length, from + window);
      pieces.add(new EmbeddingInput.Tokens(ints(full, start + from, start + to)));
      if (to == length) {
        break;
      }
      from = to - OVERLAP;
    } while (true);
    return pieces;
  }

  private static int[] ints(long[] ids, int from, int to) {
    return Arrays.stream(ids, from, to).mapToInt(id -> (int) id).toArray();
  }

  private static Throwable unwrap(Throwable failure) {
    return failure instanceof CompletionException && failure.getCause() != null
        ? failure.getCause()
        : failure;
  }

  private static RuntimeException translate(Throwable failure) {
    if (failure instanceof EngineOverloadedException e) {
      return new ClassifierOverloadedException(e.getMessage());
    }
    return new ClassifierFailureException("The sentence encoder failed", failure);
  }

  @Override
  public void close() {
    engine.close();
  }
}
