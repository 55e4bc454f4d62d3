package io.parley.inference.infrastructure.llama;

import io.parley.inference.domain.FinishReason;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.InferenceException;
import io.parley.inference.domain.Prompt;
import io.parley.inference.domain.SamplingParams;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.Usage;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;

/**
 * Measures the in-process engine without any transport: time to first token and tokens/s of a
 * single stream, and the aggregate tokens/s of concurrent streams sharing the decode loop.
 *
 * <p>Usage: {@code RawEngineBenchmark [model.gguf] [tokensPerStream] [concurrentStreams]
 * [threads]}; the model defaults to the system property {@code parley.test.model} or {@code
 * ../../../shared/models/stories260K.gguf}. The llama.cpp library comes from {@code
 * parley.llama.library} or the classpath.
 */
public final class RawEngineBenchmark {

  private RawEngineBenchmark() {}

  /** Timing of one stream. */
  private record StreamResult(
      long startNanos, long firstTokenNanos, long endNanos, int completionTokens) {
    double ttftMillis() {
      return (firstTokenNanos - startNanos) / 1e6;
    }

    double decodeTokensPerSecond() {
      double seconds = (endNanos - firstTokenNanos) / 1e9;
      return completionTokens > 1 && seconds > 0 ? (completionTokens - 1) / seconds : 0;
    }
  }

  private static final class TimingSink implements GenerationSink {
    final long start = System.nanoTime();
    volatile long firstToken;
    final CompletableFuture<StreamResult> result = new CompletableFuture<>();

    @Override
    public void onEcho(int index, String promptText, List<TokenLogprob> promptTokens) {}

    @Override
    public void onDelta(int index, String text, List<TokenLogprob> tokens) {
      if (firstToken == 0 && !tokens.isEmpty()) {
        firstToken = System.nanoTime();
      }
    }

    @Override
    public void onFinish(int index, FinishReason reason) {}

    @Override
    public void onComplete(Usage usage) {
      long end = System.nanoTime();
      result.complete(
          new StreamResult(
              start, firstToken == 0 ? end : firstToken, end, usage.completionTokens()));
    }

    @Override
    public void onError(InferenceException error) {
      result.completeExceptionally(error);
    }
  }

  public static void main(String[] args) {
    Path model =
        Path.of(
                args.length > 0
                    ? args[0]
                    : System.getProperty(
                        "parley.test.model", "../../../shared/models/stories260K.gguf"))
            .toAbsolutePath()
            .normalize();
    int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 256;
    int streams = args.length > 2 ? Integer.parseInt(args[2]) : 4;
    int threads =
        args.length > 3 ? Integer.parseInt(args[3]) : Runtime.getRuntime().availableProcessors();
    LlamaEngineConfig config =
        new LlamaEngineConfig(
            model.getFileName().toString(),
            model,
            Math.max(streams, 1),
            0,
            threads,
            512,
            64,
            Duration.ofMinutes(5),
            Optional.empty());

    long loadStart = System.nanoTime();
    try (LlamaEngine engine = LlamaEngine.load(config)) {
      double loadMillis = (System.nanoTime() - loadStart) / 1e6;
      System.out.printf(
          Locale.ROOT,
          "model %s, %d threads, %d slots x %d ctx, loaded in %.1f ms%n",
          model,
          threads,
          config.slots(),
          engine.info().contextLength(),
          loadMillis);

      run(engine, 1, 32, "warmup"); // warm up JIT and llama.cpp buffers

      List<StreamResult> single = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        single.addAll(run(engine, 1, tokens, "single-" + i));
      }
      double ttft = single.stream().mapToDouble(StreamResult::ttftMillis).sorted().toArray()[1];
      double tps =
          single.stream().mapToDouble(StreamResult::decodeTokensPerSecond).sorted().toArray()[1];
      System.out.printf(
          Locale.ROOT,
          "single stream: time to first token %.2f ms, %.1f tokens/s (median of 3, %d tokens)%n",
          ttft,
          tps,
          tokens);

      LlamaEngine.Stats before = engine.stats();
      long start = System.nanoTime();
      List<StreamResult> concurrent = run(engine, streams, tokens, "concurrent");
      double seconds = (System.nanoTime() - start) / 1e9;
      LlamaEngine.Stats after = engine.stats();
      int total = concurrent.stream().mapToInt(StreamResult::completionTokens).sum();
      double meanTtft =
          concurrent.stream().mapToDouble(StreamResult::ttftMillis).average().orElse(0);
      System.out.printf(
          Locale.ROOT,
          "%d concurrent streams: %.1f tokens/s aggregate (%d tokens in %.3f s), mean time to first token "
              + "%.2f ms, %d decode steps, up to %d sequences per step%n",
          streams,
          total / seconds,
          total,
          seconds,
          meanTtft,
          after.decodeSteps() - before.decodeSteps(),
          after.maxGeneratingPerStep());
    }
  }

  private static List<StreamResult> run(LlamaEngine engine, int streams, int tokens, String label) {
    List<TimingSink> sinks = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      TimingSink sink = new TimingSink();
      // greedy decoding; a stream ends early only if the model produces an end-of-generation token
      var sampling = SamplingParams.greedy();
      engine.generate(
          new GenerationRequest(
              label + "-" + i,
              "bench",
              new Prompt.Text(i % 2 == 0 ? "Once upon a time" : "The little dog"),
              OptionalInt.of(tokens),
              1,
              1,
              List.of(),
              sampling,
              OptionalInt.empty(),
              false),
          sink);
      sinks.add(sink);
    }
    return sinks.stream().map(s -> s.result.join()).toList();
  }
}
