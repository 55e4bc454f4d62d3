package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Metering that survives, on real servers (usage on PostgreSQL, two gateways sharing Redis, the
 * shared inference server): a gateway killed with SIGKILL in the middle of streams and unary
 * requests bills every request it admitted exactly once after it is started again (from its
 * journal); and with the usage service stopped for a minute, keys seen before keep working and
 * every request served lands in the ledger once the service is back.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MeteringDurabilityIT {

  private static final String MODEL = ParleyStack.MODEL;

  static TenantStack stack;
  static HttpClient http;

  @BeforeAll
  static void start() {
    stack = new TenantStack();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  static HttpResponse<String> post(int replica, String path, String key, String org, String body)
      throws IOException, InterruptedException {
    var builder =
        HttpRequest.newBuilder(URI.create(stack.baseUrl(replica) + path))
            .timeout(Duration.ofSeconds(60))
            .header("Authorization", "Bearer " + key)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (org != null) {
      builder.header("OpenAI-Organization", org);
    }
    return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String unary() {
    return "{\"model\":\""
        + MODEL
        + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":4,\"temperature\":0}";
  }

  /** A stream that runs until its 400 tokens are out (the end-of-text token is banned). */
  static String longStream() {
    return "{\"model\":\""
        + MODEL
        + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":400,"
        + "\"logit_bias\":{\"2\":-100},\"temperature\":0,\"stream\":true}";
  }

  /** Request id → whether it was marked interrupted, for every ledger row of an organization. */
  static Map<String, Boolean> ledger(String organization) throws SQLException {
    var rows = new HashMap<String, Boolean>();
    try (var c =
            DriverManager.getConnection(TenantStack.POSTGRES + stack.database, "postgres", "");
        var st =
            c.prepareStatement(
                "SELECT request_id, interrupted FROM ledger WHERE organization_id = ?")) {
      st.setString(1, organization);
      try (var rs = st.executeQuery()) {
        while (rs.next()) {
          rows.put(rs.getString(1), rs.getBoolean(2));
        }
      }
    }
    return rows;
  }

  /** Polls the ledger until it holds every id of {@code expected}, or a minute has passed. */
  static Map<String, Boolean> ledgerHolding(String organization, Set<String> expected)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    Map<String, Boolean> rows;
    do {
      rows = ledger(organization);
      if (rows.keySet().containsAll(expected)) {
        Thread.sleep(2_000); // and nothing more arrives late
        return ledger(organization);
      }
      Thread.sleep(500);
    } while (System.nanoTime() < deadline);
    return rows;
  }

  @Test
  @Order(1)
  void gatewayKilledMidStream_billsEveryAdmittedRequestOnce() throws Exception {
    var org = stack.organization("crash");
    // Requests that got their 200 (a finished unary answer, or a stream's first bytes): admitted.
    Set<String> answered = ConcurrentHashMap.newKeySet();
    var attempts = new AtomicInteger();
    var running = new AtomicBoolean(true);
    ExecutorService load = Executors.newFixedThreadPool(10);
    for (int s = 0; s < 8; s++) {
      load.submit(
          () -> {
            while (running.get()) {
              attempts.incrementAndGet();
              try {
                var request =
                    HttpRequest.newBuilder(URI.create(stack.baseUrl(0) + "/completions"))
                        .header("Authorization", "Bearer " + org.ownerKey())
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(longStream()))
                        .build();
                var response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
                if (response.statusCode() == 200) {
                  answered.add(response.headers().firstValue("x-request-id").orElseThrow());
                }
                try (var reader =
                    new BufferedReader(
                        new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                  while (reader.readLine() != null) {
                    // read to the end or the cut
                  }
                }
              } catch (IOException | InterruptedException e) {
                // the gateway died under it
              }
            }
            return null;
          });
    }
    for (int u = 0; u < 2; u++) {
      load.submit(
          () -> {
            while (running.get()) {
              attempts.incrementAndGet();
              try {
                var response = post(0, "/completions", org.ownerKey(), null, unary());
                if (response.statusCode() == 200) {
                  answered.add(response.headers().firstValue("x-request-id").orElseThrow());
                }
                Thread.sleep(100); // about 20 unary requests a second from the two workers
              } catch (IOException | InterruptedException e) {
                // the gateway died under it
              }
            }
            return null;
          });
    }
    // Kill once the load is flowing: requests answered, streams running.
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (answered.size() < 24 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    stack.killGateway(0);
    running.set(false);
    load.shutdown();
    assertThat(load.awaitTermination(2, TimeUnit.MINUTES)).isTrue();
    int tried = attempts.get();
    var admitted = Set.copyOf(answered);
    stack.startGateway(0);

    var rows = ledgerHolding(org.id(), admitted);
    long interrupted = rows.values().stream().filter(Boolean::booleanValue).count();
    System.out.printf(
        "Kill -9: %d requests tried, %d answered before the kill, %d ledger rows (%d interrupted)%n",
        tried, admitted.size(), rows.size(), interrupted);
    assertThat(admitted).as("load ran before the kill").hasSizeGreaterThanOrEqualTo(24);
    assertThat(rows.keySet()).as("every answered request is billed").containsAll(admitted);
    assertThat(interrupted)
        .as("the streams cut by the kill are billed as interrupted")
        .isPositive();
    // Each request id is one row (the ledger's key); none billed that was never tried.
    assertThat(rows.size()).isLessThanOrEqualTo(tried);
  }

  @Test
  @Order(2)
  void usageDownForAMinute_knownKeysKeepWorking_andEveryRequestLands() throws Exception {
    var org = stack.organization("outage");
    Set<String> served = new HashSet<>();
    for (int replica = 0; replica < 2; replica++) {
      var warm = post(replica, "/completions", org.ownerKey(), null, unary());
      assertThat(warm.statusCode()).as(warm.body()).isEqualTo(200);
      served.add(warm.headers().firstValue("x-request-id").orElseThrow());
    }
    long outage = Long.getLong("parley.it.usage-outage-seconds", 60);
    stack.stopUsage();
    int refused = 0;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(outage);
    int i = 0;
    while (System.nanoTime() < until) {
      var response = post(i++ % 2, "/completions", org.ownerKey(), null, unary());
      if (response.statusCode() == 200) {
        served.add(response.headers().firstValue("x-request-id").orElseThrow());
      } else {
        refused++;
        System.out.println("During the outage: " + response.statusCode() + " " + response.body());
      }
      Thread.sleep(200);
    }
    stack.startUsage();

    var rows = ledgerHolding(org.id(), served);
    System.out.printf(
        "Usage down %d s: %d requests served, %d refused; %d ledger rows after it returned%n",
        outage, served.size(), refused, rows.size());
    assertThat(refused).as("known keys keep working within the credit").isZero();
    assertThat(rows.keySet()).as("the ledger equals the requests served").isEqualTo(served);
    assertThat(rows.values()).as("none of them was cut").containsOnly(false);
  }
}
