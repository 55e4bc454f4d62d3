package io.parley.bench;

import io.grpc.ManagedChannel;
import io.parley.common.grpc.Channels;
import io.parley.common.grpc.security.GrpcSecurity;
import io.parley.common.grpc.security.MutualTls;
import io.parley.common.grpc.security.ServiceIdentity;
import io.parley.embeddings.infrastructure.RawOnnxBenchmark;
import io.parley.inference.v1.ChatMessage;
import io.parley.inference.v1.ChatPrompt;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.InferenceServiceGrpc;
import io.parley.inference.v1.SamplingParams;
import io.parley.testing.LibertyServer;
import io.parley.testing.Ports;
import io.parley.testing.TestCertificates;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the gateway adds to a request, side by side in one run: the same requests through the
 * gateway (HTTP, OpenAI JSON, SSE) and straight to the inference service over gRPC (mutual TLS, as
 * the gateway calls it). Rows: 1-token chat p50/p99, 8 concurrent 1-token chats per second, one
 * 256-token stream (tokens/s and time to the first token), each for the real engine ({@code
 * stories260K.gguf}) and for the {@code benchmark} engine (a fixed token stream at no cost, so what
 * remains is the cost of the services themselves); the gateway's CPU time per 1-token request and
 * per streamed token (from its process's CPU time before and after); single-sentence embeddings
 * through the chain, 1 and 16 clients, next to raw ONNX Runtime at batch 1 and 32.
 *
 * <p>Arguments: the GGUF model path; seconds per row (a smoke run uses 2: the figures are then
 * rough). System properties: {@code bench.gateway.engines} ({@code bench,zero}: the real and the
 * benchmark engine), {@code bench.gateway.jvm-args} (added to the gateway's JVM, e.g. a flight
 * recording).
 */
public final class GatewayBenchmark {

  private static final String REAL = "bench";
  private static final String ZERO = "zero";
  private static final int STREAM_TOKENS = 256;
  private static final java.util.regex.Pattern CONTENT =
      java.util.regex.Pattern.compile("\"content\":\"[^\"]");
  private static final java.util.regex.Pattern COMPLETION_TOKENS =
      java.util.regex.Pattern.compile("\"completion_tokens\":(\\d+)");

  private static final String[] WORDS = {
    "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "search", "engine", "returns",
    "results", "for", "short", "queries", "about", "weather", "travel", "food", "music"
  };

  private final HttpClient http =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final String gatewayUrl;
  private final String key;
  private final InferenceServiceGrpc.InferenceServiceBlockingStub grpc;
  private final ProcessHandle gatewayProcess;
  private final ProcessHandle embeddingsProcess;
  private final URI embeddingsMetrics;
  private final double seconds;

  private GatewayBenchmark(
      String gatewayUrl,
      String key,
      ManagedChannel channel,
      ProcessHandle gatewayProcess,
      ProcessHandle embeddingsProcess,
      URI embeddingsMetrics,
      double seconds) {
    this.gatewayUrl = gatewayUrl;
    this.key = key;
    this.grpc = InferenceServiceGrpc.newBlockingStub(channel);
    this.gatewayProcess = gatewayProcess;
    this.embeddingsProcess = embeddingsProcess;
    this.embeddingsMetrics = embeddingsMetrics;
    this.seconds = seconds;
  }

  public static void main(String[] args) throws Exception {
    var model = Path.of(args[0]).toAbsolutePath().normalize();
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : 10;
    var root = Path.of(System.getProperty("parley.root", ".")).toAbsolutePath().normalize();
    var output = root.resolve("modules/bench/target/gateway-bench");
    Files.createDirectories(output);
    var key = "sk-bench-" + Long.toHexString(System.nanoTime()) + "0123456789abcdef";
    var keyFile = output.resolve("admin-key");
    Files.writeString(keyFile, key);
    int infHttp = Ports.free(), infGrpc = Ports.free();
    int embHttp = Ports.free(), embGrpc = Ports.free();
    int gatewayPort = Ports.free();
    int usageHttp = Ports.free(), usageGrpc = Ports.free();
    // -Dbench.gateway.metering=false leaves the usage service out: the admin key alone, no budget,
    // no ledger. By default the gateway authenticates an organization's key through the usage
    // service and meters every request (budget lease, usage outbox, RecordUsage batches).
    boolean metering = Boolean.parseBoolean(System.getProperty("bench.gateway.metering", "true"));
    var certs = TestCertificates.create(output.resolve("tls"));
    var servers = new ArrayList<LibertyServer>();
    ManagedChannel channel = null;
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
                  REAL + "," + ZERO,
                  "PARLEY_INFERENCE_MODEL_BENCH_PATH",
                  model.toString(),
                  "PARLEY_INFERENCE_MODEL_ZERO_ENGINE",
                  "benchmark",
                  "PARLEY_INFERENCE_THREADS",
                  "1"),
              certs));
      servers.add(
          LibertyServer.start(
              root,
              "embeddings",
              output.resolve("embeddings"),
              embeddingsEnv(embHttp, embGrpc),
              certs));
      if (metering) {
        servers.add(
            LibertyServer.start(
                root,
                "usage",
                output.resolve("usage-" + Long.toHexString(System.nanoTime())),
                Map.of(
                    "HTTP_PORT", "" + usageHttp,
                    "PARLEY_GRPC_PORT", "" + usageGrpc,
                    "PARLEY_USAGE_BOOTSTRAP_KEY_FILE", keyFile.toString(),
                    "PARLEY_USAGE_PRICES", REAL + "=1000000/2000000," + ZERO + "=1000000/2000000"),
                certs));
      }
      var env = new HashMap<String, String>();
      env.put("HTTP_PORT", "" + gatewayPort);
      if (metering) {
        env.put("PARLEY_USAGE_TARGET", "127.0.0.1:" + usageGrpc);
      }
      env.put("PARLEY_INFERENCE_TARGET", "127.0.0.1:" + infGrpc);
      env.put("PARLEY_EMBEDDINGS_TARGET", "127.0.0.1:" + embGrpc);
      env.put("PARLEY_GATEWAY_ADMIN_KEY_FILE", keyFile.toString());
      env.put("PARLEY_GATEWAY_ADMIN_KEY_GENERATE", "false");
      // -Dbench.gateway.jvm-args="-XX:StartFlightRecording=filename=gateway.jfr" profiles the
      // gateway.
      var jvmArgs = System.getProperty("bench.gateway.jvm-args", "");
      if (!jvmArgs.isBlank()) {
        env.put("JVM_ARGS", jvmArgs);
      }
      var gatewayOutput = output.resolve("gateway");
      servers.add(LibertyServer.start(root, "gateway", gatewayOutput, env, certs));
      int[] readyPorts =
          metering
              ? new int[] {infHttp, embHttp, usageHttp, gatewayPort}
              : new int[] {infHttp, embHttp, gatewayPort};
      for (int i = 0; i < servers.size(); i++) {
        servers
            .get(i)
            .awaitReady(
                URI.create("http://127.0.0.1:" + readyPorts[i] + "/health/ready"),
                Duration.ofMinutes(3));
      }
      var tls =
          MutualTls.load(
              GrpcSecurity.of(
                  certs.certFile(ServiceIdentity.GATEWAY),
                  certs.keyFile(ServiceIdentity.GATEWAY),
                  certs.caFile(),
                  Duration.ofMinutes(5)));
      channel = Channels.open("127.0.0.1:" + infGrpc, 64 << 20, tls, ServiceIdentity.INFERENCE);
      var gatewayUrl = "http://127.0.0.1:" + gatewayPort + "/v1";
      var callerKey = metering ? organizationKey(gatewayUrl, key) : key;
      var bench =
          new GatewayBenchmark(
              gatewayUrl,
              callerKey,
              channel,
              pidOf(gatewayOutput, "gateway"),
              pidOf(output.resolve("embeddings"), "embeddings"),
              URI.create("http://127.0.0.1:" + embHttp + "/metrics"),
              seconds);
      System.out.printf(
          Locale.ROOT,
          "GatewayBenchmark: %.1f s per row, %d processors; gateway pid %d; %s%n",
          seconds,
          Runtime.getRuntime().availableProcessors(),
          bench.gatewayProcess.pid(),
          metering
              ? "an organization's key with RPM/TPM limits and a hard budget, metered"
              : "the admin key, no usage service");
      // -Dbench.gateway.engines= (empty) runs the embeddings rows alone.
      for (var engine : System.getProperty("bench.gateway.engines", REAL + "," + ZERO).split(",")) {
        if (!engine.isBlank()) {
          bench.generationRows(engine);
        }
      }
      bench.embeddingRows();
    } finally {
      if (channel != null) {
        Channels.close(channel);
      }
      for (int i = servers.size() - 1; i >= 0; i--) {
        servers.get(i).close();
      }
    }
  }

  /**
   * An organization with rate limits and a hard budget far above what the run uses (so that every
   * request goes through the limiter, the budget lease and the usage outbox, and none is refused),
   * and its owner's key.
   */
  private static String organizationKey(String gatewayUrl, String adminKey) throws Exception {
    var http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    var created =
        post(
            http,
            gatewayUrl + "/organizations",
            adminKey,
            null,
            "{\"name\":\"bench\",\"owner\":\"owner@bench.test\"}");
    var org = field(created, "id");
    var owner = field(created, "owner");
    post(
        http,
        gatewayUrl + "/organization/limits",
        adminKey,
        org,
        "{\"requests_per_minute\":100000000,\"tokens_per_minute\":1000000000,"
            + "\"hard_limit_micros\":1000000000000}");
    return field(
        post(
            http,
            gatewayUrl + "/organization/api_keys",
            adminKey,
            org,
            "{\"name\":\"bench\",\"user_id\":\"" + owner + "\"}"),
        "value");
  }

  private static String post(HttpClient http, String url, String key, String org, String body)
      throws Exception {
    var request =
        HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (org != null) {
      request.header("OpenAI-Organization", org);
    }
    var response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(url + ": " + response.statusCode() + " " + response.body());
    }
    return response.body();
  }

  private static String field(String json, String name) throws Exception {
    var value = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).path(name);
    if (!value.isTextual()) {
      throw new IllegalStateException("no " + name + " in " + json);
    }
    return value.asText();
  }

  /**
   * The embeddings service's environment; {@code -Dbench.embeddings.jvm-args} adds JVM options (a
   * flight recording, for example).
   */
  private static Map<String, String> embeddingsEnv(int http, int grpc) {
    var env = new HashMap<String, String>();
    env.put("HTTP_PORT", "" + http);
    env.put("PARLEY_GRPC_PORT", "" + grpc);
    env.put("PARLEY_EMBEDDINGS_THREADS", "2");
    var jvmArgs = System.getProperty("bench.embeddings.jvm-args", "");
    if (!jvmArgs.isBlank()) {
      env.put("JVM_ARGS", jvmArgs);
    }
    return env;
  }

  /** The gateway's process: Liberty writes its pid under the output directory. */
  private static ProcessHandle pidOf(Path output, String server) throws Exception {
    var pidFile = output.resolve(".pid").resolve(server + ".pid");
    long pid = Long.parseLong(Files.readString(pidFile).strip());
    return ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no process " + pid));
  }

  /** Warm-up rounds stop once the compilers took less than this share of a process's CPU. */
  private static final double SETTLED = 0.05;

  /** Most warm-up rounds. */
  private static final int MAX_WARM_UP_ROUNDS = 30;

  /** Work done while warming up; may throw. */
  @FunctionalInterface
  private interface Round {
    void run() throws Exception;
  }

  /**
   * Runs {@code round} again until, in one round, the JIT compiler threads of every process took
   * less than {@link #SETTLED} of its CPU time (read from {@code /proc}), or {@link
   * #MAX_WARM_UP_ROUNDS} rounds; prints how long that took and the last share.
   */
  private static void warmUntilCompiled(Round round, ProcessHandle... processes) throws Exception {
    long start = System.nanoTime();
    double share = 1;
    int rounds = 0;
    while (share >= SETTLED && rounds < MAX_WARM_UP_ROUNDS) {
      var before = new long[processes.length][];
      for (int i = 0; i < processes.length; i++) {
        before[i] = compilerAndTotalTicks(processes[i]);
      }
      round.run();
      rounds++;
      share = 0;
      for (int i = 0; i < processes.length; i++) {
        var after = compilerAndTotalTicks(processes[i]);
        long total = after[1] - before[i][1];
        share = Math.max(share, total == 0 ? 0 : (after[0] - before[i][0]) / (double) total);
      }
    }
    System.out.printf(
        Locale.ROOT,
        "warm-up: %d rounds, %.0f s; JIT share of CPU in the last round %.1f %%%n",
        rounds,
        (System.nanoTime() - start) / 1e9,
        share * 100);
  }

  /** CPU ticks of the process's JIT compiler threads, and of all its threads. */
  private static long[] compilerAndTotalTicks(ProcessHandle process) throws Exception {
    long compiler = 0;
    long total = 0;
    try (var tasks = Files.list(Path.of("/proc", "" + process.pid(), "task"))) {
      for (var task : (Iterable<Path>) tasks::iterator) {
        String stat;
        try {
          stat = Files.readString(task.resolve("stat"));
        } catch (java.io.IOException gone) {
          continue; // the thread ended
        }
        int close = stat.lastIndexOf(')');
        var fields = stat.substring(close + 2).split(" ");
        long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        total += ticks;
        if (stat.substring(stat.indexOf('(') + 1, close).contains("CompilerThre")) {
          compiler += ticks;
        }
      }
    }
    return new long[] {compiler, total};
  }

  private long gatewayCpuNanos() {
    return cpuNanos(gatewayProcess);
  }

  private static long cpuNanos(ProcessHandle process) {
    return process
        .info()
        .totalCpuDuration()
        .orElseThrow(() -> new IllegalStateException("CPU time of " + process.pid() + " unknown"))
        .toNanos();
  }

  // ---------------------------------------------------------------- generation

  private void generationRows(String model) throws Exception {
    String label = model.equals(ZERO) ? "benchmark engine" : "stories260K (llama.cpp)";
    // warm-up: connections, then the JIT: a third of the gateway's CPU goes to its compilers in
    // the first minute, so the load goes on until they have settled.
    latencies(() -> gatewayChat(model, 1), Math.min(2, seconds));
    latencies(() -> grpcChat(model, 1), Math.min(2, seconds));
    warmUntilCompiled(
        () -> {
          rate(() -> gatewayChat(model, 1), 8);
          streams(() -> gatewayStream(model), Math.min(2, seconds));
        },
        gatewayProcess);

    var viaGateway = latencies(() -> gatewayChat(model, 1), seconds);
    var direct = latencies(() -> grpcChat(model, 1), seconds);

    var requests = new AtomicLong();
    long cpuBefore = gatewayCpuNanos();
    double gatewayRate = rate(() -> gatewayChat(model, 1), 8, requests);
    double cpuPerRequest = (gatewayCpuNanos() - cpuBefore) / 1e3 / requests.get();
    double directRate = rate(() -> grpcChat(model, 1), 8);

    cpuBefore = gatewayCpuNanos();
    var gatewayStreams = streams(() -> gatewayStream(model), seconds);
    double cpuPerToken = (gatewayCpuNanos() - cpuBefore) / 1e3 / gatewayStreams.tokens;
    var directStreams = streams(() -> grpcStream(model), seconds);

    System.out.printf(Locale.ROOT, "%n== %s ==%n", label);
    System.out.printf(
        Locale.ROOT, "%-34s %14s %14s %10s%n", "", "gateway", "inference gRPC", "ratio");
    row("1-token chat p50 (ms)", pct(viaGateway, 50), pct(direct, 50));
    row("1-token chat p99 (ms)", pct(viaGateway, 99), pct(direct, 99));
    row("8 concurrent, requests/s", gatewayRate, directRate);
    row(
        "256-token stream, tokens/s",
        gatewayStreams.tokensPerSecond(),
        directStreams.tokensPerSecond());
    row(
        "time to first token, p50 (ms)",
        gatewayStreams.firstTokenP50Millis(),
        directStreams.firstTokenP50Millis());
    System.out.printf(
        Locale.ROOT,
        "gateway CPU: %.0f µs per 1-token request (%d requests, 8 concurrent), %.1f µs per"
            + " streamed token (%d tokens)%n",
        cpuPerRequest,
        requests.get(),
        cpuPerToken,
        gatewayStreams.tokens);
  }

  private static void row(String name, double gateway, double direct) {
    System.out.printf(
        Locale.ROOT, "%-34s %14.2f %14.2f %9.2fx%n", name, gateway, direct, gateway / direct);
  }

  private String chatBody(String model, int maxTokens, boolean stream) {
    return "{\"model\":\""
        + model
        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}],\"max_tokens\":"
        + maxTokens
        + ",\"temperature\":0"
        + (maxTokens > 1 ? ",\"logit_bias\":{\"2\":-100}" : "")
        + (stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "")
        + "}";
  }

  private GenerateRequest grpcRequest(String model, int maxTokens) {
    var request =
        GenerateRequest.newBuilder()
            .setModel(model)
            .setRequestId("bench-" + System.nanoTime())
            .setOrganization("org-default")
            .setChat(
                ChatPrompt.newBuilder()
                    .addMessages(
                        ChatMessage.newBuilder().setRole("user").setContent("Once upon a time")))
            .setMaxTokens(maxTokens)
            .setN(1)
            .setBestOf(1)
            .setSampling(SamplingParams.newBuilder().setTemperature(0).setTopP(1));
    if (maxTokens > 1) {
      request.getSamplingBuilder().putLogitBias(2, -100);
    }
    return request.build();
  }

  private void gatewayChat(String model, int maxTokens) {
    var response = send(chatBody(model, maxTokens, false), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200) {
      throw new IllegalStateException(
          "gateway answered " + response.statusCode() + ": " + response.body());
    }
  }

  private void grpcChat(String model, int maxTokens) {
    grpc.withDeadlineAfter(30, TimeUnit.SECONDS).generate(grpcRequest(model, maxTokens));
  }

  /** One streamed chat through the gateway: nanoseconds to the first content, and tokens. */
  private long[] gatewayStream(String model) {
    long start = System.nanoTime();
    var response =
        send(chatBody(model, STREAM_TOKENS, true), HttpResponse.BodyHandlers.ofInputStream());
    long first = -1;
    long tokens = 0;
    try (var reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      if (response.statusCode() != 200) {
        throw new IllegalStateException("gateway answered " + response.statusCode());
      }
      String line;
      while ((line = reader.readLine()) != null) {
        if (first < 0 && line.startsWith("data: ") && CONTENT.matcher(line).find()) {
          first = System.nanoTime() - start;
        }
        var usage = COMPLETION_TOKENS.matcher(line);
        if (usage.find()) {
          tokens = Long.parseLong(usage.group(1));
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new long[] {first, tokens};
  }

  private long[] grpcStream(String model) {
    long start = System.nanoTime();
    long first = -1;
    long tokens = 0;
    var chunks =
        grpc.withDeadlineAfter(60, TimeUnit.SECONDS)
            .streamGenerate(grpcRequest(model, STREAM_TOKENS));
    while (chunks.hasNext()) {
      var chunk = chunks.next();
      if (!chunk.getText().isEmpty() && first < 0) {
        first = System.nanoTime() - start;
      }
      if (chunk.hasUsage()) {
        tokens = chunk.getUsage().getCompletionTokens();
      }
    }
    return new long[] {first, tokens};
  }

  /** Streams, one after the other, for about {@code seconds}. */
  private record Streams(long[] firstTokenNanos, long tokens, double elapsedSeconds) {
    double tokensPerSecond() {
      return tokens / elapsedSeconds;
    }

    double firstTokenP50Millis() {
      return pct(firstTokenNanos, 50);
    }
  }

  private Streams streams(java.util.function.Supplier<long[]> stream, double seconds) {
    stream.get(); // warm-up
    var firsts = new ArrayList<Long>();
    long tokens = 0;
    long start = System.nanoTime();
    long deadline = start + (long) (seconds * 1e9);
    do {
      var result = stream.get();
      firsts.add(result[0]);
      tokens += result[1];
    } while (System.nanoTime() < deadline);
    double elapsed = (System.nanoTime() - start) / 1e9;
    return new Streams(firsts.stream().mapToLong(Long::longValue).toArray(), tokens, elapsed);
  }

  // ---------------------------------------------------------------- embeddings

  private void embeddingRows() throws Exception {
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
    var next = new AtomicLong();
    Runnable embed =
        () -> {
          var sentence = sentences.get((int) (next.getAndIncrement() % sentences.size()));
          var response =
              send(
                  "/embeddings",
                  "{\"model\":\"all-minilm-l6-v2\",\"input\":\"" + sentence + "\"}",
                  HttpResponse.BodyHandlers.ofString());
          if (response.statusCode() != 200) {
            throw new IllegalStateException("embeddings answered " + response.statusCode());
          }
        };
    // Warm-up until the JIT compilers of the gateway and the embeddings service have settled: with
    // two seconds they still took a third of those processes' CPU in the measured rows.
    warmUntilCompiled(
        () -> {
          latencies(embed, Math.min(2, seconds));
          rate(embed, 16);
        },
        gatewayProcess,
        embeddingsProcess);
    var one = embeddingRun(embed, 1);
    var sixteen = embeddingRun(embed, 16);
    System.out.printf(Locale.ROOT, "%n== embeddings (all-MiniLM-L6-v2 int8, 2 threads) ==%n");
    var raw = RawOnnxBenchmark.measure("bundled-minilm", seconds, 2);
    System.out.printf(Locale.ROOT, "%-34s %14s %14s %10s%n", "", "gateway", "raw ONNX", "ratio");
    row("1 client vs batch 1, sentences/s", one.rate(), raw.batch1());
    row("16 clients vs batch 32, sentences/s", sixteen.rate(), raw.batch32());
    // Where the CPU goes: each process's CPU time over the run, per sentence. On this machine's
    // cores, the chain's rate is at most cores / (CPU per sentence of every process on it).
    int cores = Runtime.getRuntime().availableProcessors();
    System.out.printf(
        Locale.ROOT,
        "%nCPU per sentence (us): %8s %8s %8s %8s %8s  %s%n",
        "gateway",
        "embed.",
        "client",
        "total",
        "bound/s",
        "mean batch");
    for (var run : List.of(one, sixteen)) {
      double total = run.gatewayMicros() + run.embeddingsMicros() + run.clientMicros();
      System.out.printf(
          Locale.ROOT,
          "%-2d client(s)           %8.0f %8.0f %8.0f %8.0f %8.0f  %.1f%n",
          run.clients(),
          run.gatewayMicros(),
          run.embeddingsMicros(),
          run.clientMicros(),
          total,
          cores * 1e6 / total,
          run.meanBatch());
    }
    System.out.printf(
        Locale.ROOT,
        "raw ONNX, CPU per sentence at %d threads (us): batch 1 %.0f, batch 32 %.0f%n",
        2,
        2e6 / raw.batch1(),
        2e6 / raw.batch32());
  }

  /**
   * One embeddings rate, with the CPU time per sentence of the gateway, the embeddings service and
   * this process (the clients), and the mean batch the embeddings service ran.
   */
  private record EmbeddingRun(
      int clients,
      double rate,
      double gatewayMicros,
      double embeddingsMicros,
      double clientMicros,
      double meanBatch) {}

  private EmbeddingRun embeddingRun(Runnable embed, int clients) throws Exception {
    var done = new AtomicLong();
    var batchesBefore = batchCounters();
    long gateway = gatewayCpuNanos();
    long embeddings = cpuNanos(embeddingsProcess);
    long client = cpuNanos(ProcessHandle.current());
    double rate = rate(embed, clients, done);
    double n = done.get();
    var batchesAfter = batchCounters();
    double batches = batchesAfter[0] - batchesBefore[0];
    return new EmbeddingRun(
        clients,
        rate,
        (gatewayCpuNanos() - gateway) / 1e3 / n,
        (cpuNanos(embeddingsProcess) - embeddings) / 1e3 / n,
        (cpuNanos(ProcessHandle.current()) - client) / 1e3 / n,
        batches > 0 ? (batchesAfter[1] - batchesBefore[1]) / batches : Double.NaN);
  }

  /** The embeddings service's batches and sequences so far, from its Prometheus metrics. */
  private double[] batchCounters() throws Exception {
    var text =
        http.send(
                HttpRequest.newBuilder(embeddingsMetrics).GET().build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    double count = 0;
    double sum = 0;
    for (var line : text.split("\n")) {
      if (line.startsWith("parley_embeddings_batch_size_count")) {
        count += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      } else if (line.startsWith("parley_embeddings_batch_size_sum")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return new double[] {count, sum};
  }

  // ---------------------------------------------------------------- plumbing

  private <T> HttpResponse<T> send(String body, HttpResponse.BodyHandler<T> handler) {
    return send("/chat/completions", body, handler);
  }

  private <T> HttpResponse<T> send(String path, String body, HttpResponse.BodyHandler<T> handler) {
    try {
      return http.send(
          HttpRequest.newBuilder(URI.create(gatewayUrl + path))
              .header("Authorization", "Bearer " + key)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build(),
          handler);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Runs {@code call} one after the other for about {@code seconds}; latencies in ns. */
  private static long[] latencies(Runnable call, double seconds) {
    var times = new ArrayList<Long>();
    long deadline = System.nanoTime() + (long) (seconds * 1e9);
    do {
      long start = System.nanoTime();
      call.run();
      times.add(System.nanoTime() - start);
    } while (System.nanoTime() < deadline);
    return times.stream().mapToLong(Long::longValue).toArray();
  }

  /** Calls per second of {@code clients} threads calling for about the row's seconds. */
  private double rate(Runnable call, int clients) throws Exception {
    return rate(call, clients, new AtomicLong());
  }

  /** As {@link #rate(Runnable, int)}, counting the calls in {@code done}. */
  private double rate(Runnable call, int clients, AtomicLong done) throws Exception {
    var pool = Executors.newFixedThreadPool(clients);
    try {
      long start = System.nanoTime();
      long deadline = start + (long) (seconds * 1e9);
      var futures = new ArrayList<Future<Void>>();
      for (int i = 0; i < clients; i++) {
        Callable<Void> client =
            () -> {
              while (System.nanoTime() < deadline) {
                call.run();
                done.incrementAndGet();
              }
              return null;
            };
        futures.add(pool.submit(client));
      }
      for (var f : futures) {
        f.get();
      }
      return done.get() / ((System.nanoTime() - start) / 1e9);
    } finally {
      pool.shutdown();
    }
  }

  /** The {@code p}th percentile, in milliseconds. */
  private static double pct(long[] nanos, int p) {
    var sorted = nanos.clone();
    Arrays.sort(sorted);
    int at = Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1);
    return sorted[Math.max(0, at)] / 1e6;
  }
}
