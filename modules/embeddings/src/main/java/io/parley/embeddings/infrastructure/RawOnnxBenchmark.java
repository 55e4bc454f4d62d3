package io.parley.embeddings.infrastructure;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.parley.embeddings.infrastructure.onnx.BundledModel;
import java.io.ByteArrayInputStream;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The floor the service is compared with: sentences per second of a bare ONNX Runtime loop over a
 * bundled model in this process (tokenized in advance, one {@code OrtSession.run} per batch, mean
 * pooling), at batch 1 and batch 32. No batcher, no gRPC, no request objects.
 *
 * <p>Run: {@code java --enable-native-access=ALL-UNNAMED -cp <classpath>
 * io.parley.embeddings.infrastructure.RawOnnxBenchmark [bundled-minilm|bundled-bge] [seconds per
 * measurement, default 10] [threads, default all processors]}
 */
public final class RawOnnxBenchmark {

  private static final String[] WORDS = {
    "the", "model", "turns", "short", "sentences", "into", "vectors", "that", "capture", "their",
    "meaning", "so", "similar", "questions", "land", "close", "together", "in", "space", "while",
    "unrelated", "text", "ends", "far", "apart", "search", "engines", "use", "this", "daily"
  };

  private RawOnnxBenchmark() {}

  /**
   * Sentences per second at batch 1 and at batch 32.
   *
   * @param batch1 one sentence per run
   * @param batch32 32 sentences per run
   */
  public record Rates(double batch1, double batch32) {}

  public static void main(String[] args) throws Exception {
    measure(
        args.length > 0 ? args[0] : "bundled-minilm",
        args.length > 1 ? Double.parseDouble(args[1]) : 10,
        args.length > 2 ? Integer.parseInt(args[2]) : Runtime.getRuntime().availableProcessors());
  }

  /**
   * Measures and prints the rates.
   *
   * @param source {@code bundled-minilm} or {@code bundled-bge}
   * @param seconds per measurement
   * @param threads ONNX Runtime intra-op threads
   */
  public static Rates measure(String source, double seconds, int threads) throws Exception {
    var model = BundledModel.fromSource(source);

    var tokenizer =
        HuggingFaceTokenizer.newInstance(
            new ByteArrayInputStream(model.tokenizer()),
            Map.of("addSpecialTokens", "true", "truncation", "false", "padding", "false"));
    // 512 sentences of 8 to 24 words, like search queries and short passages.
    var random = new java.util.Random(42);
    var sentences = new ArrayList<long[]>();
    long tokenizeStart = System.nanoTime();
    for (int i = 0; i < 512; i++) {
      var text = new StringBuilder();
      int words = 8 + random.nextInt(17);
      for (int w = 0; w < words; w++) {
        text.append(w == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
      }
      sentences.add(tokenizer.encode(text.toString()).getIds());
    }
    double tokenizeRate = 512 / ((System.nanoTime() - tokenizeStart) / 1e9);
    double meanTokens = sentences.stream().mapToInt(s -> s.length).average().orElse(0);

    var environment = OrtEnvironment.getEnvironment();
    try (var options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(threads);
      options.setInterOpNumThreads(1);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      try (var session = environment.createSession(model.model(), options)) {
        System.out.printf(
            Locale.ROOT,
            "model %s, %d threads, %.1f tokens per sentence, tokenizer %.0f sentences/s%n",
            model.name().toLowerCase(Locale.ROOT),
            threads,
            meanTokens,
            tokenizeRate);
        double[] rates = new double[2];
        int[] batches = {1, 32};
        for (int i = 0; i < batches.length; i++) {
          int batch = batches[i];
          run(environment, session, sentences, batch, Math.min(2, seconds / 5)); // warm-up
          rates[i] = run(environment, session, sentences, batch, seconds);
          System.out.printf(Locale.ROOT, "batch %2d: %8.1f sentences/s%n", batch, rates[i]);
        }
        return new Rates(rates[0], rates[1]);
      }
    } finally {
      tokenizer.close();
    }
  }

  /** Runs batches round the sentence list for about {@code seconds}; returns sentences/s. */
  private static double run(
      OrtEnvironment environment,
      OrtSession session,
      List<long[]> sentences,
      int batch,
      double seconds)
      throws Exception {
    boolean typeIds = session.getInputNames().contains("token_type_ids");
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    long start = System.nanoTime();
    long done = 0;
    int next = 0;
    float checksum = 0;
    while (System.nanoTime() < deadline) {
      int length = 0;
      for (int i = 0; i < batch; i++) {
        length = Math.max(length, sentences.get((next + i) % sentences.size()).length);
      }
      long[] ids = new long[batch * length];
      long[] mask = new long[batch * length];
      for (int i = 0; i < batch; i++) {
        long[] s = sentences.get((next + i) % sentences.size());
        System.arraycopy(s, 0, ids, i * length, s.length);
        java.util.Arrays.fill(mask, i * length, i * length + s.length, 1L);
      }
      long[] shape = {batch, length};
      try (var idsTensor = OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape);
          var maskTensor = OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape);
          var typeTensor =
              OnnxTensor.createTensor(
                  environment, LongBuffer.wrap(new long[batch * length]), shape)) {
        var inputs = new HashMap<String, OnnxTensor>();
        inputs.put("input_ids", idsTensor);
        inputs.put("attention_mask", maskTensor);
        if (typeIds) {
          inputs.put("token_type_ids", typeTensor);
        }
        try (var result = session.run(inputs)) {
          var hidden = ((OnnxTensor) result.get(0)).getFloatBuffer();
          int dims = hidden.capacity() / (batch * length);
          for (int i = 0; i < batch; i++) {
            int tokens = sentences.get((next + i) % sentences.size()).length;
            float sum = 0;
            for (int t = 0; t < tokens; t++) {
              sum += hidden.get((i * length + t) * dims);
            }
            checksum += sum / tokens;
          }
        }
      }
      next = (next + batch) % sentences.size();
      done += batch;
    }
    if (Float.isNaN(checksum)) {
      System.out.println("NaN in the output");
    }
    return done / ((System.nanoTime() - start) / 1e9);
  }
}
