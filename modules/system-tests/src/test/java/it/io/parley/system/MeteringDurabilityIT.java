package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.testing.LibertyServer;
import io.parley.testing.Ports;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A gateway killed with SIGKILL in the middle of streamed completions still bills every request it
 * admitted exactly once: after its restart the usage ledger holds one row per admitted request
 * (those cut off billed at the tokens they were admitted for), and a second kill and restart adds
 * none.
 */
class MeteringDurabilityIT {

  private static final int STREAMS = 24;

  private static final ParleyStack base = ParleyStack.shared();
  private static final String database = "parley_it_" + Long.toHexString(System.nanoTime());
  private static final String adminKey =
      "sk-admin-" + Long.toHexString(System.nanoTime()) + "0123456789abcdef";
  private static final int usageGrpcPort = Ports.free();
  private static final int usageHttpPort = Ports.free();
  private static final int gatewayPort = Ports.free();
  private static Path root;
  private static Path output;
  private static Map<String, String> gatewayEnv;
  private static LibertyServer usage;
  private static LibertyServer gateway;
  private static HttpClient http;

  @BeforeAll
  static void start() throws Exception {
    root = Path.of(System.getProperty("parley.root", "../..")).toAbsolutePath().normalize();
    output = root.resolve("modules/system-tests/target/servers/metering");
    deleteTree(output); // no journal of an earlier run
    Files.createDirectories(output);
    var keyFile = output.resolve("admin-key");
    Files.writeString(keyFile, adminKey + "\n");
    try (var c = DriverManager.getConnection(TenantStack.POSTGRES + "postgres", "postgres", "")) {
      c.createStatement().execute("CREATE DATABASE " + database);
    }
    usage =
        LibertyServer.start(
            root,
            "usage",
            output.resolve("usage"),
            Map.of(
                "HTTP_PORT",
                Integer.toString(usageHttpPort),
                "PARLEY_GRPC_PORT",
                Integer.toString(usageGrpcPort),
                "PARLEY_USAGE_DB_URL",
                TenantStack.POSTGRES + database,
                "PARLEY_USAGE_DB_USER",
                "postgres",
                "PARLEY_USAGE_BOOTSTRAP_KEY_FILE",
                keyFile.toString(),
                "PARLEY_USAGE_PRICES",
                ParleyStack.MODEL + "=1000000/2000000"),
            base.certs);
    usage.awaitReady(
        URI.create("http://127.0.0.1:" + usageHttpPort + "/health/ready"), Duration.ofMinutes(3));
    var env = new HashMap<String, String>();
    env.put("HTTP_PORT", Integer.toString(gatewayPort));
    env.put("PARLEY_INFERENCE_TARGET", "127.0.0.1:" + base.inferenceGrpcPort);
    env.put("PARLEY_USAGE_TARGET", "127.0.0.1:" + usageGrpcPort);
    env.put("PARLEY_GATEWAY_ADMIN_KEY_FILE", keyFile.toString());
    env.put("PARLEY_GATEWAY_ADMIN_KEY_GENERATE", "false");
    gatewayEnv = Map.copyOf(env);
    gateway = startGateway();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.close();
    }
    if (usage != null) {
      usage.close();
    }
    try (var c = DriverManager.getConnection(TenantStack.POSTGRES + "postgres", "postgres", "")) {
      c.createStatement().execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    } catch (SQLException e) {
      // left behind; named parley_it_* for cleanup
    }
  }

  @Test
  void gatewayKilledMidStream_billsEveryAdmittedRequestOnce() throws Exception {
    // Streams that have started (the gateway answered 200 with their request id) when it dies.
    Set<String> admitted = ConcurrentHashMap.newKeySet();
    var started = new CountDownLatch(STREAMS);
    var pool = Executors.newFixedThreadPool(STREAMS);
    var streams = new ArrayList<CompletableFuture<Void>>();
    for (int i = 0; i < STREAMS; i++) {
      streams.add(
          CompletableFuture.runAsync(
              () -> {
                var counted = new AtomicBoolean();
                try {
                  stream(admitted, () -> once(counted, started));
                } catch (Exception e) {
                  // the gateway died under it
                } finally {
                  once(counted, started);
                }
              },
              pool));
    }
    assertThat(started.await(60, TimeUnit.SECONDS)).isTrue();

    ProcessHandle.of(gatewayPid()).orElseThrow().destroyForcibly(); // SIGKILL
    CompletableFuture.allOf(streams.toArray(CompletableFuture[]::new))
        .exceptionally(e -> null)
        .get(60, TimeUnit.SECONDS);
    pool.shutdownNow();
    assertThat(admitted).hasSizeGreaterThanOrEqualTo(STREAMS / 2);

    gateway = startGateway();

    awaitLedger(admitted);
    var rows = ledgerRows();
    assertThat(rows.keySet()).containsAll(admitted);
    // Nothing the gateway did not admit, and one row per request id (its primary key).
    assertThat(rows).hasSizeLessThanOrEqualTo(STREAMS);

    // A second SIGKILL and start replays nothing more.
    ProcessHandle.of(gatewayPid()).orElseThrow().destroyForcibly();
    gateway = startGateway();
    Thread.sleep(3_000);
    assertThat(ledgerRows()).isEqualTo(rows);
  }

  private static void once(AtomicBoolean counted, CountDownLatch latch) {
    if (counted.compareAndSet(false, true)) {
      latch.countDown();
    }
  }

  /** One streamed completion: notes its request id, says when its first event came, reads on. */
  private static void stream(Set<String> admitted, Runnable started) throws Exception {
    var body =
        "{\"model\":\""
            + ParleyStack.MODEL
            + "\",\"stream\":true,\"max_tokens\":256,\"n\":4,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Once upon a time\"}]}";
    var request =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + gatewayPort + "/v1/chat/completions"))
            .timeout(Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + adminKey)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    HttpResponse<InputStream> response =
        http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    if (response.statusCode() != 200) {
      response.body().close();
      return;
    }
    admitted.add(response.headers().firstValue("x-request-id").orElseThrow());
    try (var reader =
        new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
      String line;
      boolean first = true;
      while ((line = reader.readLine()) != null) {
        if (first && line.startsWith("data: ")) {
          first = false;
          started.run();
        }
        // Slow reader: the gateway stays mid-stream for a while.
        Thread.sleep(20);
      }
    }
  }

  private static LibertyServer startGateway() {
    var server =
        LibertyServer.start(root, "gateway", output.resolve("gateway"), gatewayEnv, base.certs);
    server.awaitReady(
        URI.create("http://127.0.0.1:" + gatewayPort + "/health/ready"), Duration.ofMinutes(3));
    return server;
  }

  private static long gatewayPid() throws IOException {
    return Long.parseLong(Files.readString(output.resolve("gateway/.pid/gateway.pid")).strip());
  }

  private static void awaitLedger(Set<String> admitted) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!ledgerRows().keySet().containsAll(admitted)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "admitted requests missing from the ledger: "
                + difference(admitted, ledgerRows().keySet()));
      }
      Thread.sleep(200);
    }
  }

  private static Set<String> difference(Set<String> a, Set<String> b) {
    var out = new HashSet<>(a);
    out.removeAll(b);
    return out;
  }

  /** Request id → tokens billed, of every row in the ledger. */
  private static Map<String, Long> ledgerRows() throws SQLException {
    var rows = new HashMap<String, Long>();
    try (var c = DriverManager.getConnection(TenantStack.POSTGRES + database, "postgres", "")) {
      var result =
          c.createStatement()
              .executeQuery("SELECT request_id, prompt_tokens + completion_tokens FROM ledger");
      while (result.next()) {
        rows.put(result.getString(1), result.getLong(2));
      }
    }
    return rows;
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var files = Files.walk(dir)) {
      for (var path : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(path);
      }
    }
  }
}
