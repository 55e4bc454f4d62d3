package io.parley.bench;

import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.parley.inference.application.AdapterPolicy;
import io.parley.inference.application.FineTunedEngines;
import io.parley.inference.domain.FinishReason;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.InferenceException;
import io.parley.inference.domain.Prompt;
import io.parley.inference.domain.SamplingParams;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.Usage;
import io.parley.inference.infrastructure.files.GrpcFineTunedModelSource;
import io.parley.inference.infrastructure.llama.LlamaAdapterLoader;
import io.parley.inference.infrastructure.llama.LlamaEngine;
import io.parley.inference.infrastructure.llama.LlamaEngineConfig;
import io.parley.testing.TestAdapters;
import io.parley.testing.TestFineTunedModelRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Time from a fine-tuned model's registration to its first answer (registry look-up over gRPC,
 * adapter fetch and SHA-256 check, {@code llama_adapter_lora_init}, a new context, 24 greedy
 * tokens) against the same answer from the already loaded base model and from the now loaded
 * adapter, in this process, each round with a new adapter. Medians and ratios are printed.
 *
 * <p>Arguments: model path, rounds.
 */
public final class AdapterBenchmark {

  private static final String BASE = "stories260k";

  public static void main(String[] args) throws Exception {
    var model = Path.of(args[0]).toAbsolutePath().normalize();
    int rounds = Integer.parseInt(args[1]);
    var dir = Files.createTempDirectory("adapter-bench");
    var registry = new TestFineTunedModelRegistry(64 << 10);
    var name = InProcessServerBuilder.generateName();
    var server = InProcessServerBuilder.forName(name).addService(registry).build().start();
    var channel = InProcessChannelBuilder.forName(name).build();
    var base =
        LlamaEngine.load(
            new LlamaEngineConfig(
                BASE, model, 4, 2048, 1, 512, 64, Duration.ofSeconds(30), Optional.empty()));
    var engines =
        new FineTunedEngines(
            new GrpcFineTunedModelSource(channel, Duration.ofSeconds(10), Duration.ofSeconds(60)),
            new LlamaAdapterLoader(2),
            id -> id.equals(BASE) ? Optional.of(base) : Optional.empty(),
            new AdapterPolicy(
                dir.resolve("cache"),
                256L << 20,
                4,
                1L << 30,
                Duration.ofMinutes(10),
                Duration.ofSeconds(5),
                2),
            System::nanoTime);
    double[] baseMs = new double[rounds];
    double[] firstMs = new double[rounds];
    double[] warmMs = new double[rounds];
    try {
      answer(base::generate); // warm-up
      for (int round = 0; round < rounds; round++) {
        var adapter = TestAdapters.write(dir.resolve("adapter-" + round + ".gguf"), round, 0.5);
        String id = "ft:stories260k:org-bench:r" + round + ":ftjob-" + round;
        long t0 = System.nanoTime();
        registry.register(id, "org-bench", BASE, adapter);
        answer((request, sink) -> engines.generate("org-bench", id, request, sink));
        firstMs[round] = (System.nanoTime() - t0) / 1e6;
        t0 = System.nanoTime();
        answer((request, sink) -> engines.generate("org-bench", id, request, sink));
        warmMs[round] = (System.nanoTime() - t0) / 1e6;
        t0 = System.nanoTime();
        answer(base::generate);
        baseMs[round] = (System.nanoTime() - t0) / 1e6;
      }
    } finally {
      engines.close();
      base.close();
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    double b = median(baseMs);
    double f = median(firstMs);
    double w = median(warmMs);
    System.out.printf(
        "adapters (%d rounds, 24 greedy tokens, 1 thread): base answer %.1f ms | fine-tuned, warm"
            + " %.1f ms (%.2fx base) | fine-tuned, registration to first answer %.1f ms (%.2fx"
            + " base; max %.1f ms)%n",
        rounds, b, w, w / b, f, f / b, Arrays.stream(firstMs).max().orElse(0));
  }

  /** Starts one generation. */
  interface Start {
    void start(GenerationRequest request, GenerationSink sink);
  }

  private static void answer(Start start) throws Exception {
    var done = new CompletableFuture<Void>();
    start.start(
        new GenerationRequest(
            "bench",
            "org-bench",
            new Prompt.Text("Once upon a time"),
            OptionalInt.of(24),
            1,
            1,
            List.of(),
            SamplingParams.greedy(),
            OptionalInt.empty(),
            false),
        new GenerationSink() {
          @Override
          public void onEcho(int index, String promptText, List<TokenLogprob> promptTokens) {}

          @Override
          public void onDelta(int index, String text, List<TokenLogprob> tokens) {}

          @Override
          public void onFinish(int index, FinishReason reason) {}

          @Override
          public void onComplete(Usage usage) {
            done.complete(null);
          }

          @Override
          public void onError(InferenceException error) {
            done.completeExceptionally(error);
          }
        });
    done.get(60, TimeUnit.SECONDS);
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }
}
