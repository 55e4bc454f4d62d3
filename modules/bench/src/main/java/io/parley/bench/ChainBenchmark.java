package io.parley.bench;

import io.parley.inference.domain.FinishReason;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.InferenceException;
import io.parley.inference.domain.Prompt;
import io.parley.inference.domain.SamplingParams;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.Usage;
import io.parley.inference.infrastructure.llama.LlamaEngine;
import io.parley.inference.infrastructure.llama.LlamaEngineConfig;
import io.parley.testing.LibertyServer;
import io.parley.testing.Ports;
import io.parley.testing.TestCertificates;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Streamed generation through the whole chain (HTTP → gateway → gRPC → inference → engine) against
 * the raw engine in this process, on the same model, threads and slots, with 1 stream and 4
 * concurrent streams. Rounds alternate between the two so that machine noise hits both alike; the
 * medians and their ratios are printed side by side.
 *
 * <p>Arguments: model path, completion tokens per stream, rounds, threads.
 */
public final class ChainBenchmark {

  private static final String PROMPT = "Once upon a time";
  private static final int EOS = 2;

  /** One measured stream. */
  record Run(double ttftMillis, int tokens, double seconds) {}

  /** A set of concurrent streams. */
  record Result(double ttftMillis, double tokensPerSecond, int tokens) {}

  public static void main(String[] args) throws Exception {
    var model = Path.of(args[0]).toAbsolutePath().normalize();
    int tokens = Integer.parseInt(args[1]);
    int rounds = Integer.parseInt(args[2]);
    int threads = Integer.parseInt(args[3]);
    int slots = 4;
    var root = Path.of(System.getProperty("parley.root", ".")).toAbsolutePath().normalize();

    var engine =
        LlamaEngine.load(
            LlamaEngineConfig.of("bench", model)
                .withThreads(threads)
                .withSlots(slots)
                .withCtxPerSlot(2048));
    var output = root.resolve("modules/bench/target/servers");
    Files.createDirectories(output);
    var key = "sk-bench-" + Long.toHexString(System.nanoTime());
    Files.writeString(output.resolve("admin-key"), key);
    var certs = TestCertificates.create(output.resolve("tls"));
    int gatewayPort = Ports.free();
    int inferenceHttp = Ports.free();
    int grpc = Ports.free();
    try (var inference =
            LibertyServer.start(
                root,
                "inference",
                output,
                Map.of(
                    "HTTP_PORT", Integer.toString(inferenceHttp),
                    "PARLEY_GRPC_PORT", Integer.toString(grpc),
                    "PARLEY_INFERENCE_MODELS", "bench",
                    "PARLEY_INFERENCE_MODEL_BENCH_PATH", model.toString(),
                    "PARLEY_INFERENCE_THREADS", Integer.toString(threads),
                    "PARLEY_INFERENCE_SLOTS", Integer.toString(slots),
                    "PARLEY_INFERENCE_CTX_PER_SLOT", "2048"),
                certs);
        var gateway =
            LibertyServer.start(
                root,
                "gateway",
                output,
                Map.of(
                    "HTTP_PORT",
                    Integer.toString(gatewayPort),
                    "PARLEY_INFERENCE_TARGET",
                    "127.0.0.1:" + grpc,
                    "PARLEY_GATEWAY_ADMIN_KEY_FILE",
                    output.resolve("admin-key").toString(),
                    "PARLEY_GATEWAY_ADMIN_KEY_GENERATE",
                    "false"),
                certs)) {
      inference.awaitReady(
          URI.create("http://127.0.0.1:" + inferenceHttp + "/health/ready"), Duration.ofMinutes(3));
      gateway.awaitReady(
          URI.create("http://127.0.0.1:" + gatewayPort + "/health/ready"), Duration.ofMinutes(3));
      var http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      var chainUrl = URI.create("http://127.0.0.1:" + gatewayPort + "/v1/completions");

      Supplier<Run> raw = () -> rawStream(engine, tokens);
      Supplier<Run> chain = () -> chainStream(http, chainUrl, key, tokens);

      // warm-up: JIT, Liberty, connections
      measure(raw, 4);
      measure(chain, 4);
      measure(raw, 1);
      measure(chain, 1);

      var raw1 = new ArrayList<Result>();
      var chain1 = new ArrayList<Result>();
      var raw4 = new ArrayList<Result>();
      var chain4 = new ArrayList<Result>();
      for (int round = 0; round < rounds; round++) {
        raw1.add(measure(raw, 1));
        chain1.add(measure(chain, 1));
        raw4.add(measure(raw, 4));
        chain4.add(measure(chain, 4));
      }
      var r1 = median(raw1);
      var c1 = median(chain1);
      var r4 = median(raw4);
      var c4 = median(chain4);
      var report = new StringBuilder();
      report.append(
          String.format(
              "Model %s, %d completion tokens per stream, %d threads, %d slots, median of %d rounds%n",
              model.getFileName(), tokens, threads, slots, rounds));
      report.append(
          String.format("%-28s %14s %14s %10s%n", "", "raw engine", "full chain", "chain/raw"));
      report.append(
          String.format(
              "%-28s %14.1f %14.1f %10.3f%n",
              "1 stream: tokens/s",
              r1.tokensPerSecond(),
              c1.tokensPerSecond(),
              c1.tokensPerSecond() / r1.tokensPerSecond()));
      report.append(
          String.format(
              "%-28s %14.2f %14.2f %+9.2fms%n",
              "1 stream: TTFT ms",
              r1.ttftMillis(),
              c1.ttftMillis(),
              c1.ttftMillis() - r1.ttftMillis()));
      report.append(
          String.format(
              "%-28s %14.1f %14.1f %10.3f%n",
              "4 streams: aggregate tok/s",
              r4.tokensPerSecond(),
              c4.tokensPerSecond(),
              c4.tokensPerSecond() / r4.tokensPerSecond()));
      report.append(
          String.format(
              "%-28s %14.2f %14.2f %+9.2fms%n",
              "4 streams: mean TTFT ms",
              r4.ttftMillis(),
              c4.ttftMillis(),
              c4.ttftMillis() - r4.ttftMillis()));
      report.append(
          String.format(
              "%-28s %14.2f %14.2f%n",
              "4 streams / 1 stream",
              r4.tokensPerSecond() / r1.tokensPerSecond(),
              c4.tokensPerSecond() / c1.tokensPerSecond()));
      System.out.print(report);
      Files.writeString(root.resolve("modules/bench/target/chain-benchmark.txt"), report);
    } finally {
      engine.close();
    }
  }

  private static Result measure(Supplier<Run> stream, int concurrency) {
    var pool = Executors.newFixedThreadPool(concurrency);
    try {
      var start = new CountDownLatch(1);
      var futures = new ArrayList<CompletableFuture<Run>>();
      for (int i = 0; i < concurrency; i++) {
        futures.add(
            CompletableFuture.supplyAsync(
                () -> {
                  try {
                    start.await();
                  } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                  }
                  return stream.get();
                },
                pool));
      }
      long t0 = System.nanoTime();
      start.countDown();
      var runs = futures.stream().map(CompletableFuture::join).toList();
      double seconds = (System.nanoTime() - t0) / 1e9;
      int total = runs.stream().mapToInt(Run::tokens).sum();
      double ttft = runs.stream().mapToDouble(Run::ttftMillis).average().orElse(0);
      return new Result(ttft, total / seconds, total);
    } finally {
      pool.shutdown();
    }
  }

  private static Result median(List<Result> results) {
    var byRate =
        results.stream()
            .sorted((a, b) -> Double.compare(a.tokensPerSecond(), b.tokensPerSecond()))
            .toList();
    var byTtft = results.stream().mapToDouble(Result::ttftMillis).sorted().toArray();
    var mid = byRate.get(byRate.size() / 2);
    return new Result(byTtft[byTtft.length / 2], mid.tokensPerSecond(), mid.tokens());
  }

  private static Run rawStream(LlamaEngine engine, int tokens) {
    var done = new CompletableFuture<Usage>();
    var first = new AtomicLong();
    long t0 = System.nanoTime();
    var request =
        new GenerationRequest(
            "bench",
            "bench",
            new Prompt.Text(PROMPT),
            OptionalInt.of(tokens),
            1,
            1,
            List.of(),
            new SamplingParams(0, 1, 0, 0, Map.of(EOS, -100.0), OptionalLong.empty()),
            OptionalInt.empty(),
            false);
    engine.generate(
        request,
        new GenerationSink() {
          @Override
          public void onEcho(int index, String promptText, List<TokenLogprob> promptTokens) {}

          @Override
          public void onDelta(int index, String text, List<TokenLogprob> t) {
            if (!text.isEmpty()) {
              first.compareAndSet(0, System.nanoTime());
            }
          }

          @Override
          public void onFinish(int index, FinishReason reason) {}

          @Override
          public void onComplete(Usage usage) {
            done.complete(usage);
          }

          @Override
          public void onError(InferenceException error) {
            done.completeExceptionally(error);
          }
        });
    var usage = done.join();
    long end = System.nanoTime();
    return new Run((first.get() - t0) / 1e6, usage.completionTokens(), (end - t0) / 1e9);
  }

  /**
   * One streamed completion over a plain socket: a minimal HTTP/1.1 client (request, headers,
   * chunked body read line by line), so that the measurement is the server chain's and not an HTTP
   * client library's buffering.
   */
  static Run chainStream(HttpClient http, URI url, String key, int tokens) {
    var body =
        "{\"model\":\"bench\",\"prompt\":\""
            + PROMPT
            + "\",\"max_tokens\":"
            + tokens
            + ",\"temperature\":0,\"logit_bias\":{\""
            + EOS
            + "\":-100},\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
    var bytes = body.getBytes(StandardCharsets.UTF_8);
    var request =
        "POST "
            + url.getPath()
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
            + key
            + "\r\nContent-Type: application/json\r\nContent-Length: "
            + bytes.length
            + "\r\nConnection: close\r\n\r\n";
    long t0 = System.nanoTime();
    long first = 0;
    int completion = 0;
    try (var socket = new java.net.Socket(url.getHost(), url.getPort())) {
      socket.setTcpNoDelay(true);
      var out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.write(bytes);
      out.flush();
      var reader =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      var status = reader.readLine();
      if (status == null || !status.contains(" 200 ")) {
        throw new IllegalStateException("HTTP answer: " + status);
      }
      for (String line; (line = reader.readLine()) != null; ) {
        if (first == 0
            && line.startsWith("data: {")
            && line.contains("\"text\":\"")
            && !line.contains("\"text\":\"\"")) {
          first = System.nanoTime();
        }
        int at = line.indexOf("\"completion_tokens\":");
        if (at >= 0) {
          int from = at + "\"completion_tokens\":".length();
          int to = from;
          while (to < line.length() && Character.isDigit(line.charAt(to))) {
            to++;
          }
          completion = Integer.parseInt(line.substring(from, to));
        }
        if (line.equals("data: [DONE]")) {
          break;
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    long end = System.nanoTime();
    return new Run((first - t0) / 1e6, completion, (end - t0) / 1e9);
  }
}
