package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import it.io.parley.system.TenantStack.Org;
import it.io.parley.system.TenantStack.Reply;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Organizations, keys, roles, rate limits, budgets and metering through two real gateway replicas
 * that share Redis, the real usage service on PostgreSQL and the real engine.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MultiTenantIT {

  static final ObjectMapper JSON = new ObjectMapper();
  static final String MODEL = ParleyStack.MODEL;
  static TenantStack stack;
  static HttpClient http;
  static final List<String> secrets = new ArrayList<>();

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

  static Reply call(int replica, String method, String path, String key, String org, String body)
      throws Exception {
    return stack.call(replica, method, path, key, org, body);
  }

  static Org organization(String name) throws Exception {
    var org = stack.organization(name);
    secrets.add(org.ownerKey());
    return org;
  }

  static String completion(int maxTokens) {
    return "{\"model\":\""
        + MODEL
        + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":"
        + maxTokens
        + ",\"temperature\":0}";
  }

  @Test
  @Order(1)
  void accessMatrix_otherOrgReaderRevokedExpired_areRefused() throws Exception {
    var acme = organization("acme");
    var globex = organization("globex");

    // a reader of acme, added and given a first key by the platform administrator
    var member =
        call(
            0,
            "POST",
            "/organization/users",
            stack.adminKey,
            acme.id(),
            "{\"email\":\"reader@acme.test\",\"role\":\"reader\"}");
    assertThat(member.status()).as(member.body().toString()).isEqualTo(200);
    var readerUser = member.body().path("id").asText();
    var readerKey =
        call(
            0,
            "POST",
            "/organization/api_keys",
            stack.adminKey,
            acme.id(),
            "{\"name\":\"reader\",\"user_id\":\"" + readerUser + "\"}");
    assertThat(readerKey.status()).isEqualTo(200);
    var reader = readerKey.body().path("value").asText();
    secrets.add(reader);

    // the reader makes API requests, on either replica
    assertThat(call(1, "POST", "/completions", reader, null, completion(2)).status())
        .isEqualTo(200);
    var models = call(1, "GET", "/models", reader, null, null);
    assertThat(models.status()).isEqualTo(200);
    assertThat(models.raw().headers().firstValue("openai-organization")).contains(acme.id());

    // ... but cannot manage members
    var denied = call(0, "GET", "/organization/users", reader, null, null);
    assertThat(denied.status()).isEqualTo(403);
    assertThat(denied.body().path("error").path("code").asText()).isEqualTo("permission_error");

    // globex's owner cannot act in acme
    var mismatched = call(0, "GET", "/models", globex.ownerKey(), acme.id(), null);
    assertThat(mismatched.status()).isEqualTo(401);
    assertThat(mismatched.body().path("error").path("code").asText())
        .isEqualTo("mismatched_organization");

    // a revoked key stops working within the auth cache time (200 ms here)
    var keyId = readerKey.body().path("id").asText();
    assertThat(
            call(0, "DELETE", "/organization/api_keys/" + keyId, acme.ownerKey(), acme.id(), null)
                .status())
        .isEqualTo(200);
    Thread.sleep(500);
    for (int replica = 0; replica < 2; replica++) {
      var revoked = call(replica, "GET", "/models", reader, null, null);
      assertThat(revoked.status()).isEqualTo(401);
      assertThat(revoked.body().toString()).doesNotContain(reader);
    }

    // an expired key
    var expiring =
        call(
            0,
            "POST",
            "/organization/api_keys",
            acme.ownerKey(),
            acme.id(),
            "{\"name\":\"short\",\"user_id\":\""
                + acme.ownerUser()
                + "\",\"expires_at\":"
                + (Instant.now().getEpochSecond() + 2)
                + "}");
    assertThat(expiring.status()).as(expiring.body().toString()).isEqualTo(200);
    var shortKey = expiring.body().path("value").asText();
    secrets.add(shortKey);
    assertThat(call(0, "GET", "/models", shortKey, null, null).status()).isEqualTo(200);
    Thread.sleep(3_500);
    assertThat(call(1, "GET", "/models", shortKey, null, null).status()).isEqualTo(401);
  }

  @Test
  @Order(2)
  void rpmLimit_acrossTwoReplicas_admitsTheLimitPlusOnlyWhatRefilled() throws Exception {
    var org = organization("rpm");
    assertThat(
            call(
                    0,
                    "POST",
                    "/organization/limits",
                    org.ownerKey(),
                    null,
                    "{\"requests_per_minute\":60}")
                .status())
        .isEqualTo(200);
    Thread.sleep(500);
    var admitted = new AtomicInteger();
    var limited = new AtomicInteger();
    var futures = new ArrayList<CompletableFuture<Void>>();
    long start = System.nanoTime();
    for (int i = 0; i < 200; i++) {
      int replica = i % 2;
      var request =
          HttpRequest.newBuilder(URI.create(stack.baseUrl(replica) + "/completions"))
              .header("Authorization", "Bearer " + org.ownerKey())
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(completion(1)))
              .build();
      futures.add(
          http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
              .thenAccept(
                  r -> {
                    if (r.statusCode() == 200) {
                      admitted.incrementAndGet();
                    } else if (r.statusCode() == 429) {
                      limited.incrementAndGet();
                      assertThat(r.body()).contains("rate_limit_exceeded").contains("(RPM)");
                      assertThat(r.headers().firstValue("retry-after")).isPresent();
                    }
                  }));
    }
    futures.forEach(CompletableFuture::join);
    double seconds = (System.nanoTime() - start) / 1e9;
    // 60 RPM refills one request per second: exactly 60, plus what refilled during the burst.
    System.out.printf(
        "RPM 60 across 2 replicas: %d admitted, %d limited of 200 in %.2f s%n",
        admitted.get(), limited.get(), seconds);
    assertThat(admitted.get() + limited.get()).isEqualTo(200);
    assertThat(admitted.get()).isBetween(60, 60 + (int) Math.ceil(seconds));
  }

  @Test
  @Order(2)
  void tpmLimit_acrossTwoReplicas_admitsAtMostTheLimitPlusOneReservation() throws Exception {
    var org = organization("tpm");
    int limit = 2_000;
    assertThat(
            call(
                    0,
                    "POST",
                    "/organization/limits",
                    org.ownerKey(),
                    null,
                    "{\"tokens_per_minute\":" + limit + "}")
                .status())
        .isEqualTo(200);
    Thread.sleep(500);
    // Each request reserves its estimated prompt (16 bytes / 4 = 4 tokens) + max_tokens 100 up
    // front; end-of-text is banned so every admitted request really generates 100 tokens.
    int reservation = 4 + 100;
    var body =
        "{\"model\":\""
            + MODEL
            + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":100,"
            + "\"logit_bias\":{\"2\":-100},\"temperature\":0}";
    var admitted = new AtomicInteger();
    var limited = new AtomicInteger();
    var futures = new ArrayList<CompletableFuture<Void>>();
    long start = System.nanoTime();
    for (int i = 0; i < 60; i++) {
      var request =
          HttpRequest.newBuilder(URI.create(stack.baseUrl(i % 2) + "/completions"))
              .header("Authorization", "Bearer " + org.ownerKey())
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(body))
              .build();
      futures.add(
          http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
              .thenAccept(
                  r -> {
                    if (r.statusCode() == 200) {
                      admitted.incrementAndGet();
                    } else if (r.statusCode() == 429) {
                      limited.incrementAndGet();
                      assertThat(r.body()).contains("tokens per min (TPM)");
                    }
                  }));
    }
    futures.forEach(CompletableFuture::join);
    double seconds = (System.nanoTime() - start) / 1e9;
    long charged = (long) admitted.get() * reservation;
    double refilled = seconds * limit / 60.0;
    System.out.printf(
        "TPM %d across 2 replicas: %d admitted (%d tokens charged), %d limited in %.2f s"
            + " (%.0f tokens refilled meanwhile)%n",
        limit, admitted.get(), charged, limited.get(), seconds, refilled);
    assertThat(admitted.get() + limited.get()).isEqualTo(60);
    assertThat(limited.get()).isPositive();
    assertThat((double) charged).isLessThanOrEqualTo(limit + reservation + refilled);
  }

  @Test
  @Order(3)
  void hardBudget_isNeverOvershotByMoreThanOneRequest() throws Exception {
    var org = organization("budget");
    // prices: 1 µ$ per prompt token, 2 µ$ per completion token; a request reserves at most
    // about 4 + 2 × 50 µ$.
    int hardLimit = 2_000;
    assertThat(
            call(
                    0,
                    "POST",
                    "/organization/limits",
                    org.ownerKey(),
                    null,
                    "{\"hard_limit_micros\":" + hardLimit + "}")
                .status())
        .isEqualTo(200);
    var admitted = new AtomicInteger();
    var quota = new AtomicInteger();
    var futures = new ArrayList<CompletableFuture<Void>>();
    for (int i = 0; i < 60; i++) {
      var request =
          HttpRequest.newBuilder(URI.create(stack.baseUrl(i % 2) + "/completions"))
              .header("Authorization", "Bearer " + org.ownerKey())
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(completion(50)))
              .build();
      futures.add(
          http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
              .thenAccept(
                  r -> {
                    if (r.statusCode() == 200) {
                      admitted.incrementAndGet();
                    } else if (r.statusCode() == 429 && r.body().contains("insufficient_quota")) {
                      quota.incrementAndGet();
                      assertThat(r.headers().firstValue("x-should-retry")).contains("false");
                    }
                  }));
    }
    futures.forEach(CompletableFuture::join);
    Thread.sleep(1_000);
    var costs =
        call(
            0,
            "GET",
            "/organization/costs?start_time="
                + (Instant.now().getEpochSecond() - 3600)
                + "&bucket_width=1d",
            org.ownerKey(),
            null,
            null);
    assertThat(costs.status()).as(costs.body().toString()).isEqualTo(200);
    double spent = 0;
    for (var bucket : costs.body().path("data")) {
      for (var result : bucket.path("results")) {
        spent += result.path("amount").path("value").asDouble();
      }
    }
    long spentMicros = Math.round(spent * 1_000_000);
    System.out.printf(
        "Hard limit %d µ$: %d admitted, %d refused, %d µ$ spent%n",
        hardLimit, admitted.get(), quota.get(), spentMicros);
    assertThat(quota.get()).isPositive();
    assertThat(spentMicros).isPositive().isLessThanOrEqualTo(hardLimit + 4 + 2 * 50);
  }

  @Test
  @Order(4)
  void metering_afterABurstWithDisconnects_billsWhatTheEngineGenerated() throws Exception {
    var org = organization("meter");
    int complete = 6;
    int dropped = 4;
    int expectedCompletion = 0;
    for (int i = 0; i < complete; i++) {
      var reply = call(i % 2, "POST", "/completions", org.ownerKey(), null, completion(5 + i));
      assertThat(reply.status()).isEqualTo(200);
      expectedCompletion += reply.body().path("usage").path("completion_tokens").asInt();
    }
    var streamed =
        "{\"model\":\""
            + MODEL
            + "\",\"prompt\":\"Once upon a time\",\"max_tokens\":1500,"
            + "\"logit_bias\":{\"2\":-100},\"temperature\":0,\"stream\":true}";
    int eventsRead = 0;
    for (int i = 0; i < dropped; i++) {
      var request =
          HttpRequest.newBuilder(URI.create(stack.baseUrl(i % 2) + "/completions"))
              .header("Authorization", "Bearer " + org.ownerKey())
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(streamed))
              .build();
      var response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      assertThat(response.statusCode()).isEqualTo(200);
      try (var reader =
          new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        for (int line = 0; line < 10; line++) {
          if (reader.readLine().startsWith("data: {")) {
            eventsRead++;
          }
        }
      }
    }
    // A dropped stream is recorded once the engine has stopped it and the gateway's outbox has
    // delivered the record: read the ledger until every request is there (or 30 s have passed).
    long requests = 0;
    long output = 0;
    var deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    do {
      Thread.sleep(500);
      var usage =
          call(
              1,
              "GET",
              "/organization/usage/completions?start_time="
                  + (Instant.now().getEpochSecond() - 3600)
                  + "&bucket_width=1d",
              org.ownerKey(),
              null,
              null);
      assertThat(usage.status()).as(usage.body().toString()).isEqualTo(200);
      requests = 0;
      output = 0;
      for (var bucket : usage.body().path("data")) {
        for (var result : bucket.path("results")) {
          requests += result.path("num_model_requests").asLong();
          output += result.path("output_tokens").asLong();
        }
      }
    } while (requests < complete + dropped && System.nanoTime() < deadline);
    long droppedTokens = output - expectedCompletion;
    System.out.printf(
        "Metering: %d requests recorded; %d completion tokens for the %d complete requests,"
            + " %d for the %d dropped streams (%d events read by the client)%n",
        requests, expectedCompletion, complete, droppedTokens, dropped, eventsRead);
    assertThat(requests).isEqualTo(complete + dropped);
    // every token the dropped streams delivered was billed, and none of the 1500 they asked for
    // beyond what the engine generated before it stopped
    assertThat(droppedTokens).isGreaterThanOrEqualTo(eventsRead).isLessThan(dropped * 1500L);
  }

  @Test
  @Order(5)
  void noKeyMaterial_inLogsOrTheDatabase() throws Exception {
    assertThat(secrets).isNotEmpty();
    var dump = stack.dumpDatabase();
    var logs = stack.logs();
    for (var secret : secrets) {
      assertThat(dump).doesNotContain(secret);
      assertThat(logs).doesNotContain(secret);
    }
    assertThat(dump).doesNotContain(stack.adminKey);
    assertThat(logs).doesNotContain(stack.adminKey);
  }
}
