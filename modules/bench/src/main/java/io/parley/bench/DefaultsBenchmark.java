package io.parley.bench;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;

/**
 * The out-of-the-box defaults against the best configuration a small search finds, for the six
 * services running side by side on this machine as {@code ./parley up} runs them.
 *
 * <p>All six services start once, configured like {@code ./parley up} (shared-host setting, JVM
 * options, the gateway authenticating through the usage service and reserving and settling every
 * request). Then the inference service is restarted once per configuration: first with no thread
 * settings at all (the defaults it picks for this host), then with each llama.cpp thread count from
 * 1 to the CPU count, each with idle threads spinning (libgomp's default) and sleeping at once
 * ({@code OMP_WAIT_POLICY=PASSIVE}). Each configuration is measured through the gateway:
 *
 * <ul>
 *   <li>streamed tokens/s of one 256-token legacy completion (end-of-text banned), median of 5;
 *   <li>p50 latency of a 1-token chat completion (sequential requests);
 *   <li>requests/s of 8 concurrent clients sending 1-token chat completions.
 * </ul>
 *
 * <p>Prints a table of every configuration, the best value of each figure across the search, and
 * defaults / best.
 *
 * <p>Arguments: model path, completion tokens per stream (256), rounds (1), and optionally which of
 * embeddings, safety and files to start besides inference, usage and the gateway (a comma list; all
 * by default, {@code none} for none).
 */
public final class DefaultsBenchmark {

  private static final List<String> SERVICES =
      List.of("inference", "embeddings", "safety", "usage", "files", "gateway");

  /** One configuration of the inference service: its environment overrides. */
  record Config(String name, Map<String, String> env) {}

  /** The three figures of one configuration. */
  record Figures(double streamTokensPerSecond, double chatP50Millis, double concurrentRps) {}

  public static void main(String[] args) throws Exception {
    var model = Path.of(args[0]).toAbsolutePath().normalize();
    int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 256;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    // The services started (inference, usage and the gateway always); all six by default.
    var started =
        args.length > 3
            ? SERVICES.stream()
                .filter(
                    s ->
                        List.of("inference", "usage", "gateway").contains(s)
                            || Arrays.asList(args[3].split(",")).contains(s))
                .toList()
            : SERVICES;
    int cpus = Runtime.getRuntime().availableProcessors();
    var root = Path.of(System.getProperty("parley.root", ".")).toAbsolutePath().normalize();
    var output = root.resolve("modules/bench/target/defaults-servers");
    if (Files.exists(output)) {
      try (var walk = Files.walk(output)) {
        walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    Files.createDirectories(output);
    var key = "sk-bench-" + Long.toHexString(System.nanoTime()) + "x".repeat(32);
    var keyFile = output.resolve("admin-key");
    Files.writeString(keyFile, key);
    var certs = TestCertificates.create(output.resolve("tls"));

    // What ./parley up gives every service (see the parley script).
    var shared = new HashMap<String, String>();
    shared.put("PARLEY_HOST_SHARED_SERVICES", Integer.toString(SERVICES.size()));
    shared.put("MALLOC_ARENA_MAX", "2");
    shared.put("JVM_ARGS", "-XX:+UseSerialGC -Xmx512m");
    shared.put("PARLEY_DATA_DIR", output.resolve("data").toString());

    var http = new LinkedHashMap<String, Integer>();
    var grpc = new LinkedHashMap<String, Integer>();
    for (var s : started) {
      http.put(s, Ports.free());
      if (!s.equals("gateway")) {
        grpc.put(s, Ports.free());
      }
    }
    var servers = new LinkedHashMap<String, LibertyServer>();
    try {
      for (var s : started) {
        if (!s.equals("inference")) {
          servers.put(s, start(root, s, output, env(s, shared, http, grpc, model, keyFile), certs));
        }
      }
      // The gateway is ready only once inference is: it is awaited after inference starts.
      for (var s : started.stream().filter(s -> !s.equals("gateway")).toList()) {
        if (s.equals("inference")) {
          continue;
        }
        servers
            .get(s)
            .awaitReady(
                URI.create("http://127.0.0.1:" + http.get(s) + "/health/ready"),
                Duration.ofMinutes(5));
      }
      var configs = new ArrayList<Config>();
      configs.add(new Config("defaults", Map.of()));
      for (int t = 1; t <= cpus; t++) {
        for (var spin : List.of(true, false)) {
          configs.add(
              new Config(
                  t + (t == 1 ? " thread" : " threads") + (spin ? ", spin" : ", sleep"),
                  Map.of(
                      "PARLEY_INFERENCE_THREADS",
                      Integer.toString(t),
                      "PARLEY_INFERENCE_SPIN_WAIT",
                      Boolean.toString(spin))));
        }
      }
      var client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      var base = "http://127.0.0.1:" + http.get("gateway");
      var results = new LinkedHashMap<String, List<Figures>>();
      var chosen = new LinkedHashMap<String, String>();
      // Round 0, over every configuration, is not counted: the gateway and the other services keep
      // warming up (their JIT) for several configurations, which would otherwise favour whichever
      // configurations come late in the first round.
      for (int round = 0; round <= rounds; round++) {
        // Each round starts one configuration later, so that no configuration always runs in the
        // same place (first after the slowest one, say).
        var order = new ArrayList<Config>(configs);
        java.util.Collections.rotate(order, -(round % configs.size()));
        for (var config : order) {
          var env = env("inference", shared, http, grpc, model, keyFile);
          env.putAll(config.env());
          try (var inference = start(root, "inference", output, env, certs)) {
            inference.awaitReady(
                URI.create("http://127.0.0.1:" + http.get("inference") + "/health/ready"),
                Duration.ofMinutes(5));
            servers
                .get("gateway")
                .awaitReady(
                    URI.create("http://127.0.0.1:" + http.get("gateway") + "/health/ready"),
                    Duration.ofMinutes(5));
            chosen.putIfAbsent(config.name(), defaultsLine(inference.log()));
            warmUp(client, base, key, tokens);
            var figures = measure(client, base, key, tokens);
            System.out.printf(
                "round %d%s, %-20s %8.1f tok/s  p50 %6.2f ms  %6.1f req/s%n",
                round,
                round == 0 ? " (warm-up, not counted)" : "",
                config.name(),
                figures.streamTokensPerSecond(),
                figures.chatP50Millis(),
                figures.concurrentRps());
            if (round > 0) {
              results.computeIfAbsent(config.name(), k -> new ArrayList<>()).add(figures);
            }
          }
        }
      }
      var report = report(started, cpus, tokens, rounds, results, chosen.get("defaults"));
      System.out.print(report);
      Files.writeString(root.resolve("modules/bench/target/defaults-benchmark.txt"), report);
    } finally {
      for (var s : servers.values()) {
        s.close();
      }
    }
  }

  private static Map<String, String> env(
      String service,
      Map<String, String> shared,
      Map<String, Integer> http,
      Map<String, Integer> grpc,
      Path model,
      Path keyFile) {
    var env = new HashMap<>(shared);
    env.put("HTTP_PORT", Integer.toString(http.get(service)));
    switch (service) {
      case "inference" -> {
        env.put("PARLEY_INFERENCE_MODELS", "bench");
        env.put("PARLEY_INFERENCE_MODEL_BENCH_ENGINE", "llama");
        env.put("PARLEY_INFERENCE_MODEL_BENCH_PATH", model.toString());
      }
      case "usage" -> {
        env.put("PARLEY_USAGE_BOOTSTRAP_KEY_FILE", keyFile.toString());
        // the benchmark's own traffic must not meet the default tier's limits
        env.put("PARLEY_USAGE_DEFAULT_LIMITS_RPM", "100000000");
        env.put("PARLEY_USAGE_DEFAULT_LIMITS_TPM", "1000000000");
        env.put("PARLEY_USAGE_DEFAULT_LIMITS_HARD_LIMIT_MICROS", "1000000000000");
      }
      case "gateway" -> {
        for (var target : grpc.entrySet()) {
          env.put(
              "PARLEY_" + target.getKey().toUpperCase(java.util.Locale.ROOT) + "_TARGET",
              "127.0.0.1:" + target.getValue());
        }
        env.put("PARLEY_GATEWAY_ADMIN_KEY_FILE", keyFile.toString());
        env.put("PARLEY_GATEWAY_ADMIN_KEY_GENERATE", "false");
      }
      default -> {}
    }
    if (grpc.containsKey(service)) {
      env.put("PARLEY_GRPC_PORT", Integer.toString(grpc.get(service)));
    }
    return env;
  }

  private static LibertyServer start(
      Path root, String service, Path output, Map<String, String> env, TestCertificates certs) {
    return LibertyServer.start(root, service, output, env, certs);
  }

  /** The inference service's start-up line that says what it chose. */
  private static String defaultsLine(Path log) {
    try {
      return Files.readAllLines(log).stream()
          .filter(l -> l.contains("Runtime defaults:"))
          .map(l -> l.substring(l.indexOf("Runtime defaults:")))
          .findFirst()
          .orElse("(no defaults line in " + log + ")");
    } catch (java.io.IOException e) {
      return "(log not readable: " + e.getMessage() + ")";
    }
  }

  /** Until the gateway reaches the restarted inference service, then JIT warm-up. */
  private static void warmUp(HttpClient client, String base, String key, int tokens)
      throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (true) {
      var response = chat(client, base, key);
      if (response.statusCode() == 200) {
        break;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "gateway did not reach inference: " + response.statusCode() + " " + response.body());
      }
      Thread.sleep(200);
    }
    var url = URI.create(base + "/v1/completions");
    for (int i = 0; i < 3; i++) {
      ChainBenchmark.chainStream(client, url, key, tokens);
    }
    for (int i = 0; i < 100; i++) {
      chat(client, base, key);
    }
  }

  private static Figures measure(HttpClient client, String base, String key, int tokens)
      throws Exception {
    var url = URI.create(base + "/v1/completions");
    var rates = new double[5];
    for (int i = 0; i < rates.length; i++) {
      var run = ChainBenchmark.chainStream(client, url, key, tokens);
      if (run.tokens() != tokens) {
        throw new IllegalStateException("stream gave " + run.tokens() + " tokens");
      }
      rates[i] = run.tokens() / run.seconds();
    }
    Arrays.sort(rates);
    var latencies = new double[300];
    for (int i = 0; i < latencies.length; i++) {
      long t0 = System.nanoTime();
      var response = chat(client, base, key);
      latencies[i] = (System.nanoTime() - t0) / 1e6;
      if (response.statusCode() != 200) {
        throw new IllegalStateException("chat: " + response.statusCode() + " " + response.body());
      }
    }
    Arrays.sort(latencies);
    int clients = 8;
    int perClient = 60;
    var pool = Executors.newFixedThreadPool(clients);
    try {
      var tasks = new ArrayList<Callable<Integer>>();
      for (int c = 0; c < clients; c++) {
        tasks.add(
            () -> {
              int ok = 0;
              for (int i = 0; i < perClient; i++) {
                if (chat(client, base, key).statusCode() == 200) {
                  ok++;
                }
              }
              return ok;
            });
      }
      long t0 = System.nanoTime();
      int ok = 0;
      for (var f : pool.invokeAll(tasks)) {
        ok += f.get();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (ok != clients * perClient) {
        throw new IllegalStateException((clients * perClient - ok) + " concurrent requests failed");
      }
      return new Figures(rates[rates.length / 2], latencies[latencies.length / 2], ok / seconds);
    } finally {
      pool.shutdown();
    }
  }

  private static HttpResponse<String> chat(HttpClient client, String base, String key)
      throws Exception {
    var body =
        "{\"model\":\"bench\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],"
            + "\"max_tokens\":1,\"temperature\":0}";
    var request =
        HttpRequest.newBuilder(URI.create(base + "/v1/chat/completions"))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .timeout(Duration.ofSeconds(30))
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private static String report(
      List<String> started,
      int cpus,
      int tokens,
      int rounds,
      Map<String, List<Figures>> results,
      String defaultsLine) {
    var medians = new LinkedHashMap<String, Figures>();
    results.forEach((name, list) -> medians.put(name, median(list)));
    var search = medians.entrySet().stream().filter(e -> !e.getKey().equals("defaults")).toList();
    var bestStream =
        search.stream()
            .max(
                (a, b) ->
                    Double.compare(
                        a.getValue().streamTokensPerSecond(), b.getValue().streamTokensPerSecond()))
            .orElseThrow();
    var bestP50 =
        search.stream()
            .min(
                (a, b) ->
                    Double.compare(a.getValue().chatP50Millis(), b.getValue().chatP50Millis()))
            .orElseThrow();
    var bestRps =
        search.stream()
            .max(
                (a, b) ->
                    Double.compare(a.getValue().concurrentRps(), b.getValue().concurrentRps()))
            .orElseThrow();
    var d = medians.get("defaults");
    var out = new StringBuilder();
    out.append(
        String.format(
            "Services %s colocated as ./parley up runs them (told that 6 share the host), %d CPUs,"
                + " stream of %d tokens, median of %d round(s)%n",
            started, cpus, tokens, rounds));
    out.append("Defaults chosen by inference: ").append(defaultsLine).append('\n');
    out.append(
        String.format(
            "%-22s %14s %16s %18s%n",
            "configuration", "stream tok/s", "chat p50 ms", "8-conc. req/s"));
    medians.forEach(
        (name, f) ->
            out.append(
                String.format(
                    "%-22s %14.1f %16.2f %18.1f%n",
                    name, f.streamTokensPerSecond(), f.chatP50Millis(), f.concurrentRps())));
    out.append(
        String.format(
            "%-22s %14s %16s %18s%n", "", "defaults/best", "best/defaults", "defaults/best"));
    out.append(
        String.format(
            "%-22s %14.2f %16.2f %18.2f%n",
            "ratio (target >= 0.9)",
            d.streamTokensPerSecond() / bestStream.getValue().streamTokensPerSecond(),
            bestP50.getValue().chatP50Millis() / d.chatP50Millis(),
            d.concurrentRps() / bestRps.getValue().concurrentRps()));
    out.append(
        String.format(
            "best: stream %s, p50 %s, 8-concurrent %s%n",
            bestStream.getKey(), bestP50.getKey(), bestRps.getKey()));
    return out.toString();
  }

  private static Figures median(List<Figures> list) {
    var s = list.stream().mapToDouble(Figures::streamTokensPerSecond).sorted().toArray();
    var p = list.stream().mapToDouble(Figures::chatP50Millis).sorted().toArray();
    var r = list.stream().mapToDouble(Figures::concurrentRps).sorted().toArray();
    return new Figures(middle(s), middle(p), middle(r));
  }

  /** The median of sorted values (the mean of the two middle ones for an even count). */
  static double middle(double[] sorted) {
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
