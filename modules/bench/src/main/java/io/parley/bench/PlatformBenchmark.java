package io.parley.bench;

import io.parley.embeddings.infrastructure.RawOnnxBenchmark;
import io.parley.testing.LibertyServer;
import io.parley.testing.Ports;
import io.parley.testing.TestCertificates;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures, side by side in one run: (1) the latency a request pays for authentication through the
 * usage service, rate limits in Redis and the usage reservation, against a gateway with only the
 * bootstrap key and in-memory limits, both in front of the same inference server; (2) embeddings
 * through the whole chain, one client and 16 concurrent single-input clients, next to a raw ONNX
 * Runtime loop on the same model; (3) moderation requests per second.
 *
 * <p>Argument: the GGUF model path.
 */
public final class PlatformBenchmark {

  private static final String[] WORDS = {
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "search", "engine", "returns",
    "results", "for", "short", "queries", "about", "weather", "travel", "food", "music"
  };

  public static void main(String[] args) throws Exception {
    var model = Path.of(args[0]).toAbsolutePath().normalize();
    var root = Path.of(System.getProperty("parley.root", ".")).toAbsolutePath().normalize();
    var output = root.resolve("modules/bench/target/platform");
    Files.createDirectories(output);
    var key = "sk-bench-" + Long.toHexString(System.nanoTime()) + "0123456789abcdef";
    var keyFile = output.resolve("admin-key");
    Files.writeString(keyFile, key);
    int infHttp = Ports.free(), infGrpc = Ports.free();
    int embHttp = Ports.free(), embGrpc = Ports.free();
    int safHttp = Ports.free(), safGrpc = Ports.free();
    int useHttp = Ports.free(), useGrpc = Ports.free();
    int plainPort = Ports.free(), meteredPort = Ports.free();
    var certs = TestCertificates.create(output.resolve("tls"));
    var servers = new ArrayList<LibertyServer>();
    try {
      servers.add(
          LibertyServer.start(
              root,
              "inference",
              output.resolve("inference"),
              Map.of(
                  "HTTP_PORT",
                  "" + infHttp,
                  "PARLEY_GRPC_PORT",
                  "" + infGrpc,
                  "PARLEY_INFERENCE_MODELS",
                  "bench",
                  "PARLEY_INFERENCE_MODEL_BENCH_PATH",
                  model.toString(),
                  "PARLEY_INFERENCE_THREADS",
                  "1"),
              certs));
      servers.add(
          LibertyServer.start(
              root,
              "embeddings",
              output.resolve("embeddings"),
              Map.of(
                  "HTTP_PORT", "" + embHttp,
                  "PARLEY_GRPC_PORT", "" + embGrpc,
                  "PARLEY_EMBEDDINGS_THREADS", "2"),
              certs));
      servers.add(
          LibertyServer.start(
              root,
              "safety",
              output.resolve("safety"),
              Map.of("HTTP_PORT", "" + safHttp, "PARLEY_GRPC_PORT", "" + safGrpc),
              certs));
      servers.add(
          LibertyServer.start(
              root,
              "usage",
              output.resolve("usage"),
              Map.of(
                  "HTTP_PORT",
                  "" + useHttp,
                  "PARLEY_GRPC_PORT",
                  "" + useGrpc,
                  "PARLEY_DATA_DIR",
                  output.resolve("data-" + System.nanoTime()).toString(),
                  "PARLEY_USAGE_BOOTSTRAP_KEY_FILE",
                  keyFile.toString()),
              certs));
      var common = new HashMap<String, String>();
      common.put("PARLEY_INFERENCE_TARGET", "127.0.0.1:" + infGrpc);
      common.put("PARLEY_EMBEDDINGS_TARGET", "127.0.0.1:" + embGrpc);
      common.put("PARLEY_SAFETY_TARGET", "127.0.0.1:" + safGrpc);
      common.put("PARLEY_GATEWAY_ADMIN_KEY_FILE", keyFile.toString());
      common.put("PARLEY_GATEWAY_ADMIN_KEY_GENERATE", "false");
      var plain = new HashMap<>(common);
      plain.put("HTTP_PORT", "" + plainPort);
      var metered = new HashMap<>(common);
      metered.put("HTTP_PORT", "" + meteredPort);
      metered.put("PARLEY_USAGE_TARGET", "127.0.0.1:" + useGrpc);
      metered.put("PARLEY_GATEWAY_LIMITER", "redis");
      metered.put("PARLEY_GATEWAY_REDIS_PREFIX", "parley:bench:" + System.nanoTime() + ":");
      metered.put("PARLEY_GATEWAY_LIMITS_RPM", "1000000");
      metered.put("PARLEY_GATEWAY_LIMITS_TPM", "100000000");
      servers.add(LibertyServer.start(root, "gateway", output.resolve("plain"), plain, certs));
      servers.add(LibertyServer.start(root, "gateway", output.resolve("metered"), metered, certs));
      int[] readyPorts = {infHttp, embHttp, safHttp, useHttp, plainPort, meteredPort};
      for (int i = 0; i < servers.size(); i++) {
        servers
            .get(i)
            .awaitReady(
                URI.create("http://127.0.0.1:" + readyPorts[i] + "/health/ready"),
                Duration.ofMinutes(3));
      }
      var http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      var plainUrl = "http://127.0.0.1:" + plainPort + "/v1";
      var meteredUrl = "http://127.0.0.1:" + meteredPort + "/v1";
      var completion =
          "{\"model\":\"bench\",\"prompt\":\"Once upon a time\",\"max_tokens\":1,\"temperature\":0}";

      // (1) added latency of auth + limits + reservation, interleaved
      for (int i = 0; i < 300; i++) {
        post(http, plainUrl + "/completions", key, completion);
        post(http, meteredUrl + "/completions", key, completion);
      }
      var plainTimes = new long[1000];
      var meteredTimes = new long[1000];
      for (int i = 0; i < 1000; i++) {
        plainTimes[i] = post(http, plainUrl + "/completions", key, completion);
        meteredTimes[i] = post(http, meteredUrl + "/completions", key, completion);
      }
      Arrays.sort(plainTimes);
      Arrays.sort(meteredTimes);
      System.out.printf(
          "1-token completion latency, 1000 requests each, interleaved%n"
              + "%-46s %8s %8s%n%-46s %8.2f %8.2f%n%-46s %8.2f %8.2f%n%-46s %8.2f %8.2f%n",
          "",
          "p50 ms",
          "p99 ms",
          "gateway, bootstrap key, in-memory limits",
          plainTimes[500] / 1e6,
          plainTimes[990] / 1e6,
          "gateway + usage auth + Redis limits + reserve",
          meteredTimes[500] / 1e6,
          meteredTimes[990] / 1e6,
          "added",
          (meteredTimes[500] - plainTimes[500]) / 1e6,
          (meteredTimes[990] - plainTimes[990]) / 1e6);

      // (2) embeddings through the chain
      var random = new java.util.Random(42);
      var sentences = new ArrayList<String>();
      for (int i = 0; i < 512; i++) {
        var text = new StringBuilder();
        int words = 8 + random.nextInt(17);
        for (int w = 0; w < words; w++) {
          text.append(w == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        sentences.add(text.toString());
      }
      var counter = new AtomicLong();
      Callable<Void> oneClient =
          () -> {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline) {
              var s = sentences.get((int) (counter.getAndIncrement() % sentences.size()));
              post(
                  http,
                  plainUrl + "/embeddings",
                  key,
                  "{\"model\":\"all-minilm-l6-v2\",\"input\":\"" + s + "\"}");
            }
            return null;
          };
      rate(oneClient, 1, counter, 3); // warm-up
      double single = rate(oneClient, 1, counter, 10);
      double sixteen = rate(oneClient, 16, counter, 10);
      // single-input p50 through the chain
      var times = new long[300];
      for (int i = 0; i < times.length; i++) {
        times[i] =
            post(
                http,
                plainUrl + "/embeddings",
                key,
                "{\"model\":\"all-minilm-l6-v2\",\"input\":\"" + sentences.get(i) + "\"}");
      }
      Arrays.sort(times);
      System.out.printf(
          "embeddings through the chain: 1 client %.1f sentences/s, 16 clients %.1f sentences/s"
              + " (%.2fx), single-input p50 %.2f ms%n",
          single, sixteen, sixteen / single, times[150] / 1e6);
      System.out.println("raw ONNX Runtime loop, same model, 2 threads:");
      RawOnnxBenchmark.main(new String[] {"bundled-minilm", "10", "2"});

      // (3) moderation requests/s
      var moderation =
          "{\"input\":\"I really enjoyed the concert last night, the band was great.\"}";
      Callable<Void> moderate =
          () -> {
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < deadline) {
              post(http, plainUrl + "/moderations", key, moderation);
              counter.incrementAndGet();
            }
            return null;
          };
      rate(moderate, 1, counter, 3);
      System.out.printf(
          "moderations through the chain: 1 client %.1f requests/s, 4 clients %.1f requests/s%n",
          rate(moderate, 1, counter, 10), rate(moderate, 4, counter, 10));
    } finally {
      for (int i = servers.size() - 1; i >= 0; i--) {
        servers.get(i).close();
      }
    }
  }

  private static double rate(Callable<Void> client, int clients, AtomicLong counter, int seconds)
      throws Exception {
    var pool = Executors.newFixedThreadPool(clients);
    try {
      long before = counter.get();
      long start = System.nanoTime();
      var futures = new ArrayList<java.util.concurrent.Future<Void>>();
      for (int i = 0; i < clients; i++) {
        futures.add(pool.submit(client));
      }
      for (var f : futures) {
        f.get();
      }
      return (counter.get() - before) / ((System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdown();
    }
  }

  /** Sends one POST; returns its latency in ns; fails on a non-200. */
  private static long post(HttpClient http, String url, String key, String body) throws Exception {
    long start = System.nanoTime();
    var response =
        http.send(
            HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    long elapsed = System.nanoTime() - start;
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          url + " answered " + response.statusCode() + ": " + response.body());
    }
    return elapsed;
  }
}
