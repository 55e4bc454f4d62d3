package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The bytes on the wire of a streamed completion, and what a client disconnect does. */
class StreamingWireIT {

  static ParleyStack stack;
  static HttpClient http;

  @BeforeAll
  static void start() {
    stack = ParleyStack.shared();
    http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  }

  static HttpRequest post(String path, String json) {
    return HttpRequest.newBuilder(URI.create(stack.baseUrl() + path))
        .header("Authorization", "Bearer " + stack.adminKey)
        .header("Content-Type", "application/json")
        .timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString(json))
        .build();
  }

  @Test
  void chatStream_isServerSentEvents_endingWithDone() throws Exception {
    var response =
        http.send(
            post(
                "/chat/completions",
                """
                {"model":"stories260k","messages":[{"role":"user","content":"Hi"}],
                 "max_tokens":5,"temperature":0,"stream":true}"""),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type").orElseThrow())
        .startsWith("text/event-stream");
    assertThat(response.headers().firstValue("x-request-id")).isPresent();
    var body = response.body();
    assertThat(body).endsWith("data: [DONE]\n\n");
    var events = body.split("\n\n");
    for (var event : events) {
      assertThat(event).startsWith("data: ");
    }
    assertThat(events[0])
        .contains("\"object\":\"chat.completion.chunk\"")
        .contains("\"role\":\"assistant\"");
    assertThat(events[events.length - 2]).contains("\"finish_reason\":\"length\"");
  }

  @Test
  void clientDisconnects_midStream_freeTheirSlots() throws Exception {
    // Twice as many long streams as the engine has slots (end-of-text banned, so each would run
    // for 1800 tokens): each is read a little, then dropped.
    var request =
        post(
            "/completions",
            """
            {"model":"stories260k","prompt":"Once upon a time","max_tokens":1800,
             "logit_bias":{"2":-100},"temperature":0,"stream":true}""");
    for (int i = 0; i < 8; i++) {
      var response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
      assertThat(response.statusCode()).isEqualTo(200);
      try (var reader =
          new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        for (int lines = 0; lines < 6; lines++) {
          assertThat(reader.readLine()).isNotNull();
        }
      }
    }
    // If cancelled generations kept their slots, these would wait behind two waves of
    // 1800-token streams (tens of seconds on two cores); cancelled, they start at once.
    List<CompletableFuture<HttpResponse<String>>> after = new ArrayList<>();
    long start = System.nanoTime();
    for (int i = 0; i < 4; i++) {
      after.add(
          http.sendAsync(
              post(
                  "/completions",
                  """
                  {"model":"stories260k","prompt":"The dog","max_tokens":5,"temperature":0}"""),
              HttpResponse.BodyHandlers.ofString()));
    }
    for (var f : after) {
      assertThat(f.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
  }

  @Test
  void noKey_returns401Envelope() throws Exception {
    var response =
        http.send(
            HttpRequest.newBuilder(URI.create(stack.baseUrl() + "/models")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(401);
    assertThat(response.body()).contains("\"error\"").contains("\"message\"").contains("\"type\"");
  }
}
