package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.testing.Ports;
import io.parley.testing.TestModels;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A rolling restart of every service under load loses nothing: two gateway containers behind
 * HAProxy, two inference containers behind one network alias (the gateway's {@code dns:///} target
 * resolves to both), one container of each other service, all started by {@code ./parley up
 * --containers}. While about 20 unary chat completions a second and 8 concurrent long SSE streams
 * run through HAProxy, {@code ./parley restart} replaces every container one replica at a time as a
 * Kubernetes rolling update does (preStop pause, SIGTERM with the grace period, new container, wait
 * until ready, next).
 *
 * <p>Asserts that no unary request failed and that every stream ended with {@code [DONE]} or an
 * in-band error event; prints the request split per gateway (HAProxy's counters) and per inference
 * container (the calls each served, from its log), and for each new inference replica the time from
 * ready to its first call. Runs only in the {@code rollout} profile ({@code ./mvnw -Prollout verify
 * -pl modules/system-tests -am}; podman and haproxy required); far too heavy for CI.
 */
class RolloutIT {

  static final String MODEL = "stories260k";
  static final String PREFIX = "parley-ro";
  static final Path ROOT =
      Path.of(System.getProperty("parley.root", "../..")).toAbsolutePath().normalize();
  static final Path HOME = ROOT.resolve("modules/system-tests/target/rollout-home");
  static final int UNARY_PER_SECOND = Integer.getInteger("parley.rollout.unary-per-second", 20);
  static final int STREAMS = Integer.getInteger("parley.rollout.streams", 8);
  static final int STREAM_TOKENS = Integer.getInteger("parley.rollout.stream-tokens", 300);
  static final String SERVICES =
      System.getProperty(
          "parley.rollout.services", "inference embeddings safety usage files gateway");

  static final Map<String, String> ENV = new HashMap<>();
  static final Pattern STAMPED = Pattern.compile("^(\\S+): (.*) at (\\d{13})$");
  static final Pattern READY = Pattern.compile("^Waiting for (\\S+?)\\.* ready at (\\d{13})$");

  final List<String> timeline = new ArrayList<>();

  @Test
  void rollingRestartOfEveryService_losesNoRequest() throws Exception {
    Files.createDirectories(HOME);
    deleteTree(HOME.resolve("container-logs"));
    // -Dparley.rollout.fresh=false keeps the containers of this stack that already run (and the
    // loopback ports they were given, kept in ports.properties).
    boolean fresh = Boolean.parseBoolean(System.getProperty("parley.rollout.fresh", "true"));
    var ports = ports(fresh);
    int gateway1 = ports.get("GATEWAY_1");
    int gateway2 = ports.get("GATEWAY_2");
    int front = Ports.free();
    int stats = Ports.free();
    ENV.put("PARLEY_HOME", HOME.toString());
    ENV.put("PARLEY_CONTAINER_PREFIX", PREFIX);
    ENV.put("PARLEY_NETWORK", System.getProperty("parley.rollout.network", "parley"));
    ENV.put("PARLEY_NETWORK_SUBNET", "198.18.7.0/25");
    ENV.put(
        "PARLEY_IMAGE_REPOSITORY", System.getProperty("parley.rollout.images", "parley-rollout"));
    if (Boolean.getBoolean("parley.rollout.rebuild")) {
      ENV.put("PARLEY_REBUILD", "1");
    }
    ENV.put("PARLEY_MODEL", TestModels.stories260k().toString());
    ENV.put("PARLEY_GATEWAY_REPLICAS", "2");
    ENV.put("PARLEY_INFERENCE_REPLICAS", "2");
    ENV.put("PARLEY_PORT", Integer.toString(gateway1));
    ENV.put("PARLEY_GATEWAY_PORTS", gateway1 + " " + gateway2);
    for (var service : List.of("INFERENCE", "EMBEDDINGS", "USAGE", "SAFETY", "FILES")) {
      ENV.put("PARLEY_" + service + "_HTTP_PORT", Integer.toString(ports.get(service)));
    }
    // The load is one organization's: its default limits must not be what refuses requests.
    ENV.put(
        "PARLEY_USAGE_ENV",
        "PARLEY_USAGE_DEFAULT_LIMITS_RPM=1000000 PARLEY_USAGE_DEFAULT_LIMITS_TPM=1000000000");
    ENV.put("PARLEY_JAVA_HOME", System.getProperty("parley.java.home", ""));
    // A loaded machine starts eight Liberty servers at once slowly.
    ENV.put("PARLEY_START_TIMEOUT", System.getProperty("parley.rollout.start-timeout-s", "1800"));

    Process haproxy = null;
    try {
      if (fresh) {
        parley(Duration.ofMinutes(10), "down");
      }
      parley(Duration.ofMinutes(60), "up", "--containers");
      var key = Files.readString(HOME.resolve("admin-key")).strip();
      haproxy = startHaproxy(front, stats, gateway1, gateway2);
      awaitBackendsUp(stats);

      var load = new Load(URI.create("http://127.0.0.1:" + front + "/v1/chat/completions"), key);
      load.start();
      Thread.sleep(20_000);
      note("load running: " + load.summary());
      var restart = restart(SERVICES.split(" "));
      note("restart finished (exit " + restart + "): " + load.summary());
      // New replicas take calls within the connection lifetime (20 s); keep the load on past it.
      Thread.sleep(40_000);
      load.stop();
      note("load stopped: " + load.summary());

      var perGateway = haproxyCounters(stats);
      haproxy.destroy();
      haproxy.waitFor(10, TimeUnit.SECONDS);
      haproxy = null;
      parley(Duration.ofMinutes(10), "down");
      var perInference = servedCalls("inference");
      var firstCalls = readyToFirstCall("inference");

      System.out.println();
      System.out.println("=== Rolling restart under load (" + SERVICES + ") ===");
      timeline.forEach(line -> System.out.println("  " + line));
      System.out.println(load.report());
      System.out.println("Requests per gateway (HAProxy):");
      perGateway.forEach((server, counters) -> System.out.println("  " + server + " " + counters));
      System.out.println("gRPC calls served per inference container (each start):");
      perInference.forEach((log, calls) -> System.out.println("  " + log + " " + calls));
      System.out.println("New inference replicas, ready -> first call:");
      firstCalls.forEach((name, ms) -> System.out.println("  " + name + " " + ms));

      assertThat(restart).as("./parley restart").isZero();
      assertThat(load.unaryFailures()).as("failed unary requests").isEmpty();
      assertThat(load.brokenStreams()).as("streams without [DONE] or an error event").isEmpty();
      assertThat(load.unaryOk.get()).isPositive();
      assertThat(load.streamsDone.get()).isPositive();
    } finally {
      if (haproxy != null) {
        haproxy.destroyForcibly();
      }
      parley(Duration.ofMinutes(10), "down");
    }
  }

  static Map<String, Integer> ports(boolean fresh) throws IOException {
    var file = HOME.resolve("ports.properties");
    var properties = new java.util.Properties();
    if (!fresh && Files.exists(file)) {
      try (var in = Files.newInputStream(file)) {
        properties.load(in);
      }
    }
    var ports = new HashMap<String, Integer>();
    for (var name :
        List.of("GATEWAY_1", "GATEWAY_2", "INFERENCE", "EMBEDDINGS", "USAGE", "SAFETY", "FILES")) {
      var port =
          properties.containsKey(name)
              ? Integer.parseInt(properties.getProperty(name))
              : Ports.free();
      ports.put(name, port);
      properties.setProperty(name, Integer.toString(port));
    }
    try (var out = Files.newOutputStream(file)) {
      properties.store(out, "loopback ports of the rollout stack");
    }
    return ports;
  }

  void note(String line) {
    timeline.add(Instant.now() + " " + line);
  }

  // --- the platform --------------------------------------------------------------------------

  static void parley(Duration timeout, String... args) throws Exception {
    var command = new ArrayList<String>();
    command.add(ROOT.resolve("parley").toString());
    command.addAll(List.of(args));
    var log = HOME.resolve("parley-" + String.join("-", args).replace("--", "") + ".log");
    var process =
        new ProcessBuilder(command)
            .directory(ROOT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    process.environment().putAll(ENV);
    var running = process.start();
    if (!running.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      running.destroyForcibly();
      throw new AssertionError("./parley " + String.join(" ", args) + " timed out: " + read(log));
    }
    assertThat(running.exitValue())
        .as("./parley %s failed:%n%s", String.join(" ", args), read(log))
        .isZero();
  }

  /** Runs {@code ./parley restart}, keeping its timestamped lines in the timeline. */
  int restart(String... services) throws Exception {
    var command = new ArrayList<String>();
    command.add(ROOT.resolve("parley").toString());
    command.add("restart");
    command.addAll(List.of(services));
    var builder = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
    builder.environment().putAll(ENV);
    var process = builder.start();
    var log = new ArrayList<String>();
    try (var reader =
        new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        log.add(line);
        var stamped = STAMPED.matcher(line);
        var ready = READY.matcher(line);
        if (stamped.matches()) {
          timeline.add(
              Instant.ofEpochMilli(Long.parseLong(stamped.group(3)))
                  + " "
                  + stamped.group(1)
                  + ": "
                  + stamped.group(2));
        } else if (ready.matches()) {
          timeline.add(
              Instant.ofEpochMilli(Long.parseLong(ready.group(2)))
                  + " "
                  + ready.group(1)
                  + ": ready");
          readyAt.put(ready.group(1), Long.parseLong(ready.group(2)));
        }
      }
    }
    Files.write(HOME.resolve("parley-restart.log"), log);
    return process.waitFor();
  }

  final Map<String, Long> readyAt = new LinkedHashMap<>();

  /** Calls served by each container of a service, from the logs its stops left. */
  static Map<String, String> servedCalls(String service) throws IOException {
    var result = new TreeMap<String, String>();
    for (var log : containerLogs(service)) {
      var served =
          Files.readAllLines(log).stream()
              .filter(line -> line.contains("gRPC calls served"))
              .map(RolloutIT::message)
              .reduce((earlier, later) -> later)
              .orElse("(no total logged)");
      result.put(log.getFileName().toString(), served);
    }
    return result;
  }

  /** For each replica started by the restart: its first call's time minus its ready time. */
  Map<String, String> readyToFirstCall(String service) throws IOException {
    var result = new LinkedHashMap<String, String>();
    for (var entry : readyAt.entrySet()) {
      var name = entry.getKey();
      if (!name.matches(Pattern.quote(PREFIX + "-" + service) + "(-\\d+)?")) {
        continue;
      }
      // The log of the container started by the restart: the last one of that name.
      var logs =
          containerLogs(service).stream()
              .filter(
                  p -> p.getFileName().toString().matches(Pattern.quote(name) + "-\\d{13}\\.log"))
              .sorted()
              .toList();
      if (logs.isEmpty()) {
        result.put(name, "(no log)");
        continue;
      }
      var first =
          Files.readAllLines(logs.getLast()).stream()
              .filter(line -> line.contains("First gRPC call"))
              .findFirst();
      result.put(
          name,
          first
              .map(line -> (logTime(line) - entry.getValue()) + " ms (" + message(line) + ")")
              .orElse("(no call before it stopped)"));
    }
    return result;
  }

  static List<Path> containerLogs(String service) throws IOException {
    var dir = HOME.resolve("container-logs");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (var files = Files.list(dir)) {
      return files
          .filter(
              p ->
                  p.getFileName()
                      .toString()
                      .matches(Pattern.quote(PREFIX + "-" + service) + "(-\\d)?-\\d{13}\\.log"))
          .sorted()
          .toList();
    }
  }

  static final Pattern MESSAGE = Pattern.compile("\"message\":\"((?:[^\"\\\\]|\\\\.)*)\"");
  static final Pattern DATETIME = Pattern.compile("\"ibm_datetime\":\"([^\"]+)\"");

  static String message(String jsonLine) {
    var m = MESSAGE.matcher(jsonLine);
    return m.find() ? m.group(1) : jsonLine;
  }

  static long logTime(String jsonLine) {
    var m = DATETIME.matcher(jsonLine);
    if (!m.find()) {
      throw new IllegalStateException("no time in " + jsonLine);
    }
    return OffsetDateTime.parse(
            m.group(1), DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ"))
        .toInstant()
        .toEpochMilli();
  }

  // --- HAProxy -------------------------------------------------------------------------------

  static Process startHaproxy(int front, int stats, int gateway1, int gateway2) throws Exception {
    var config =
        """
        global
          maxconn 2000
        defaults
          mode http
          timeout connect 2s
          timeout client 15m
          timeout server 15m
          timeout http-request 30s
          option redispatch 1
          retries 3
          retry-on conn-failure empty-response
        frontend api
          bind 127.0.0.1:%d
          default_backend gateways
        backend gateways
          balance roundrobin
          option httpchk GET /health/ready
          http-check expect status 200
          # A slow answer is not a down gateway (a refused connection is, after three checks).
          timeout check 10s
          default-server inter 2s fall 3 rise 2
          server gateway-1 127.0.0.1:%d check
          server gateway-2 127.0.0.1:%d check
        listen stats
          bind 127.0.0.1:%d
          stats enable
          stats uri /stats
        """
            .formatted(front, gateway1, gateway2, stats);
    var file = HOME.resolve("haproxy.cfg");
    Files.writeString(file, config);
    return new ProcessBuilder("haproxy", "-db", "-f", file.toString())
        .redirectErrorStream(true)
        .redirectOutput(HOME.resolve("haproxy.log").toFile())
        .start();
  }

  static final HttpClient PLAIN =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  static List<Map<String, String>> haproxyStats(int port) throws Exception {
    var csv =
        PLAIN
            .send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/stats;csv"))
                    .build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    var lines = csv.lines().toList();
    var header = lines.getFirst().replaceFirst("^# ", "").split(",", -1);
    var rows = new ArrayList<Map<String, String>>();
    for (var line : lines.subList(1, lines.size())) {
      var cells = line.split(",", -1);
      var row = new HashMap<String, String>();
      for (int i = 0; i < header.length && i < cells.length; i++) {
        row.put(header[i], cells[i]);
      }
      rows.add(row);
    }
    return rows;
  }

  static void awaitBackendsUp(int stats) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        long up =
            haproxyStats(stats).stream()
                .filter(r -> "gateways".equals(r.get("pxname")))
                .filter(r -> r.get("svname").startsWith("gateway-"))
                .filter(r -> "UP".equals(r.get("status")))
                .count();
        if (up == 2) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "HAProxy does not see both gateways up: " + read(HOME.resolve("haproxy.log")));
      }
      Thread.sleep(500);
    }
  }

  static Map<String, String> haproxyCounters(int stats) throws Exception {
    var result = new TreeMap<String, String>();
    for (var row : haproxyStats(stats)) {
      if (!"gateways".equals(row.get("pxname"))) {
        continue;
      }
      result.put(
          row.get("svname"),
          "requests=%s 2xx=%s 4xx=%s 5xx=%s connection errors=%s response errors=%s retries=%s redispatches=%s"
              .formatted(
                  row.get("stot"),
                  row.get("hrsp_2xx"),
                  row.get("hrsp_4xx"),
                  row.get("hrsp_5xx"),
                  row.get("econ"),
                  row.get("eresp"),
                  row.get("wretr"),
                  row.get("wredis")));
    }
    return result;
  }

  // --- the load ------------------------------------------------------------------------------

  /** Unary chat completions at a fixed rate plus a fixed number of back-to-back SSE streams. */
  static final class Load {
    final URI url;
    final String key;
    final HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .executor(Executors.newVirtualThreadPerTaskExecutor())
            .build();
    final AtomicBoolean running = new AtomicBoolean(true);
    final AtomicLong unarySent = new AtomicLong();
    final AtomicLong unaryOk = new AtomicLong();
    final ConcurrentLinkedQueue<String> unaryFailed = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<CompletableFuture<?>> pending = new ConcurrentLinkedQueue<>();
    final AtomicLong streamsDone = new AtomicLong();
    final AtomicLong streamChunks = new AtomicLong();
    final ConcurrentLinkedQueue<String> streamErrorEvents = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> streamsRefused = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<String> streamsBroken = new ConcurrentLinkedQueue<>();
    final List<Thread> threads = new ArrayList<>();

    Load(URI url, String key) {
      this.url = url;
      this.key = key;
    }

    HttpRequest request(boolean stream, int maxTokens) {
      var body =
          """
          {"model":"%s","messages":[{"role":"user","content":"Once upon a time"}],\
          "max_tokens":%d,"stream":%s}"""
              .formatted(MODEL, maxTokens, stream);
      return HttpRequest.newBuilder(url)
          .timeout(Duration.ofMinutes(10))
          .header("Authorization", "Bearer " + key)
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body))
          .build();
    }

    void start() {
      var unary =
          Thread.ofPlatform()
              .name("unary-load")
              .start(
                  () -> {
                    long period = 1_000_000_000L / UNARY_PER_SECOND;
                    long next = System.nanoTime();
                    while (running.get()) {
                      long sentAt = System.currentTimeMillis();
                      unarySent.incrementAndGet();
                      pending.add(
                          http.sendAsync(request(false, 16), HttpResponse.BodyHandlers.ofString())
                              .handle(
                                  (response, failure) -> {
                                    if (failure != null) {
                                      unaryFailed.add(Instant.ofEpochMilli(sentAt) + " " + failure);
                                    } else if (response.statusCode() != 200
                                        || !response.body().contains("\"choices\"")) {
                                      unaryFailed.add(
                                          Instant.ofEpochMilli(sentAt)
                                              + " HTTP "
                                              + response.statusCode()
                                              + " "
                                              + abbreviate(response.body()));
                                    } else {
                                      unaryOk.incrementAndGet();
                                    }
                                    return null;
                                  }));
                      next += period;
                      long wait = next - System.nanoTime();
                      if (wait > 0) {
                        try {
                          TimeUnit.NANOSECONDS.sleep(wait);
                        } catch (InterruptedException e) {
                          return;
                        }
                      }
                    }
                  });
      threads.add(unary);
      for (int i = 0; i < STREAMS; i++) {
        threads.add(Thread.ofPlatform().name("stream-" + i).start(this::streams));
      }
    }

    void streams() {
      while (running.get()) {
        long startedAt = System.currentTimeMillis();
        try {
          var response =
              http.send(request(true, STREAM_TOKENS), HttpResponse.BodyHandlers.ofLines());
          if (response.statusCode() != 200) {
            streamsRefused.add(
                Instant.ofEpochMilli(startedAt)
                    + " HTTP "
                    + response.statusCode()
                    + " "
                    + abbreviate(String.join("\n", response.body().toList())));
            // As a client would: wait before asking again (HAProxy answers 503 at once when no
            // gateway is up).
            Thread.sleep(1_000);
            continue;
          }
          boolean done = false;
          String error = null;
          long chunks = 0;
          var lines = response.body().iterator();
          while (lines.hasNext()) {
            var line = lines.next();
            if (!line.startsWith("data: ")) {
              continue;
            }
            var data = line.substring(6);
            if (data.equals("[DONE]")) {
              done = true;
            } else if (data.startsWith("{\"error\"")) {
              error = data;
            } else {
              chunks++;
            }
          }
          streamChunks.addAndGet(chunks);
          if (done) {
            streamsDone.incrementAndGet();
          } else if (error != null) {
            streamErrorEvents.add(Instant.ofEpochMilli(startedAt) + " " + abbreviate(error));
          } else {
            streamsBroken.add(
                Instant.ofEpochMilli(startedAt)
                    + " ended after "
                    + chunks
                    + " chunks without [DONE] or an error event");
          }
        } catch (IOException | UncheckedIOException e) {
          streamsBroken.add(Instant.ofEpochMilli(startedAt) + " " + e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }

    void stop() throws Exception {
      running.set(false);
      for (var thread : threads) {
        thread.join(Duration.ofMinutes(5));
      }
      CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
    }

    List<String> unaryFailures() {
      return List.copyOf(unaryFailed);
    }

    List<String> brokenStreams() {
      return List.copyOf(streamsBroken);
    }

    String summary() {
      return "unary sent=%d ok=%d failed=%d; streams done=%d error-events=%d refused=%d broken=%d"
          .formatted(
              unarySent.get(),
              unaryOk.get(),
              unaryFailed.size(),
              streamsDone.get(),
              streamErrorEvents.size(),
              streamsRefused.size(),
              streamsBroken.size());
    }

    String report() {
      var out = new StringBuilder();
      out.append("Load: ").append(summary()).append(", stream chunks=").append(streamChunks.get());
      append(out, "Failed unary requests", unaryFailed);
      append(out, "Streams ended by an in-band error event", streamErrorEvents);
      append(out, "Stream requests refused", streamsRefused);
      append(out, "Streams cut (no [DONE], no error event)", streamsBroken);
      return out.toString();
    }

    static void append(StringBuilder out, String title, ConcurrentLinkedQueue<String> items) {
      if (items.isEmpty()) {
        return;
      }
      out.append('\n').append(title).append(" (").append(items.size()).append("):");
      items.stream().limit(30).forEach(item -> out.append("\n  ").append(item));
      // When they happened: the count per second (items start with their instant).
      var perSecond = new TreeMap<String, Integer>();
      items.forEach(
          item -> perSecond.merge(item.substring(0, Math.min(19, item.length())), 1, Integer::sum));
      out.append("\n  per second:");
      perSecond.forEach(
          (second, count) ->
              out.append(' ').append(second.substring(11)).append('=').append(count));
    }
  }

  static String abbreviate(String text) {
    var flat = text.replace('\n', ' ');
    return flat.length() > 300 ? flat.substring(0, 300) + "..." : flat;
  }

  static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (var path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
