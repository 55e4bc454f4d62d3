package io.parley.embeddings.infrastructure.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.parley.embeddings.domain.EmbeddingInput;
import io.parley.embeddings.domain.EmbeddingRequest;
import io.parley.embeddings.domain.EmbeddingResult;
import io.parley.embeddings.domain.EngineFailureException;
import io.parley.embeddings.domain.EngineOverloadedException;
import io.parley.embeddings.domain.InvalidEmbeddingRequestException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The remote engine against a small OpenAI-compatible {@code /v1/embeddings} server written here:
 * it answers 3-dimensional vectors in reverse index order (as servers may), or the error the test
 * asks for, and records what it was sent.
 */
class OpenAiEmbeddingEngineTest {

  static final ObjectMapper JSON = new ObjectMapper();
  HttpServer server;
  final AtomicReference<JsonNode> received = new AtomicReference<>();
  final AtomicReference<String> authorization = new AtomicReference<>();
  final AtomicReference<String> path = new AtomicReference<>();
  volatile int failWith;
  volatile String failBody = "";

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/v1/embeddings",
        exchange -> {
          var body = JSON.readTree(exchange.getRequestBody());
          received.set(body);
          path.set(exchange.getRequestURI().getPath());
          authorization.set(exchange.getRequestHeaders().getFirst("Authorization"));
          if (failWith != 0) {
            send(exchange, failWith, failBody);
            return;
          }
          var answer = JSON.createObjectNode();
          answer.put("object", "list");
          var data = answer.putArray("data");
          int inputs = body.path("input").size();
          for (int i = inputs - 1; i >= 0; i--) {
            var item = data.addObject();
            item.put("object", "embedding");
            item.put("index", i);
            // (i+1, 0, 0) scaled by 2: not unit length, so normalisation shows.
            item.putArray("embedding").add(2.0 * (i + 1)).add(0.0).add(2.0);
          }
          answer.put("model", body.path("model").asText());
          answer
              .putObject("usage")
              .put("prompt_tokens", 7 * inputs)
              .put("total_tokens", 7 * inputs);
          send(exchange, 200, answer.toString());
        });
    server.start();
  }

  static void send(HttpExchange exchange, int status, String body) throws IOException {
    var bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (var out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  OpenAiEmbeddingEngine engine(Optional<String> key, int dimensions) {
    return new OpenAiEmbeddingEngine(
        "remote-e5",
        "parley",
        URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1"),
        "intfloat/e5-small-v2",
        key,
        dimensions,
        true,
        512,
        Duration.ofSeconds(10));
  }

  static EmbeddingRequest texts(OptionalInt dimensions, String... texts) {
    return new EmbeddingRequest(
        java.util.Arrays.stream(texts).<EmbeddingInput>map(EmbeddingInput.Text::new).toList(),
        dimensions);
  }

  @Test
  void embed_forwardsTheInputsAndReturnsUnitVectorsInInputOrder() {
    try (var engine = engine(Optional.of("sk-remote"), 0)) {
      assertThat(engine.info().dimensions()).isZero();
      EmbeddingResult result = engine.embed(texts(OptionalInt.of(3), "first", "second")).join();

      var body = received.get();
      assertThat(path.get()).isEqualTo("/v1/embeddings");
      assertThat(authorization.get()).isEqualTo("Bearer sk-remote");
      assertThat(body.path("model").asText()).isEqualTo("intfloat/e5-small-v2");
      assertThat(body.path("input"))
          .extracting(JsonNode::asText)
          .containsExactly("first", "second");
      assertThat(body.path("encoding_format").asText()).isEqualTo("float");
      assertThat(body.path("dimensions").asInt()).isEqualTo(3);

      float s = (float) Math.sqrt(2);
      assertThat(result.vectors().get(0))
          .containsExactly(
              new float[] {1 / s, 0, 1 / s}, org.assertj.core.data.Offset.offset(1e-6f));
      assertThat(result.vectors().get(1)[0]).isGreaterThan(result.vectors().get(0)[0]);
      assertThat(result.promptTokens()).isEqualTo(14);
      assertThat(engine.info().dimensions()).isEqualTo(3);
    }
  }

  @Test
  void embed_tokenIds_areSentAsArraysOfIntegers_withoutAKeyWhenNoneIsSet() {
    try (var engine = engine(Optional.empty(), 3)) {
      engine
          .embed(
              new EmbeddingRequest(
                  List.of(new EmbeddingInput.Tokens(new int[] {5, 6, 7})), OptionalInt.empty()))
          .join();
      assertThat(received.get().path("input").get(0))
          .extracting(JsonNode::asInt)
          .containsExactly(5, 6, 7);
      assertThat(received.get().has("dimensions")).isFalse();
      assertThat(authorization.get()).isNull();
    }
  }

  @Test
  void embed_textsMixedWithTokenIds_isRefusedOnInput() {
    try (var engine = engine(Optional.empty(), 3)) {
      assertThatThrownBy(
              () ->
                  engine.embed(
                      new EmbeddingRequest(
                          List.of(
                              new EmbeddingInput.Text("a"),
                              new EmbeddingInput.Tokens(new int[] {1})),
                          OptionalInt.empty())))
          .isInstanceOf(InvalidEmbeddingRequestException.class)
          .extracting(e -> ((InvalidEmbeddingRequestException) e).param().orElseThrow())
          .isEqualTo("input");
    }
  }

  @Test
  void embed_remoteRefusal_keepsItsMessageAndParam() {
    failWith = 400;
    failBody =
        "{\"error\":{\"message\":\"This model's maximum context length is 512 tokens\","
            + "\"type\":\"invalid_request_error\",\"param\":\"input\",\"code\":null}}";
    try (var engine = engine(Optional.empty(), 3)) {
      var failure = failure(engine);
      assertThat(failure).isInstanceOf(InvalidEmbeddingRequestException.class);
      assertThat(failure.getMessage())
          .isEqualTo("This model's maximum context length is 512 tokens");
    }
  }

  @Test
  void embed_teiStyleErrors_busyIsOverloaded_otherFailuresAreEngineFailures() {
    try (var engine = engine(Optional.empty(), 3)) {
      failWith = 429;
      failBody = "{\"error\":\"Model is overloaded\",\"error_type\":\"overloaded\"}";
      assertThat(failure(engine))
          .isInstanceOf(EngineOverloadedException.class)
          .hasMessage("Model is overloaded");
      failWith = 500;
      failBody = "oops";
      assertThat(failure(engine)).isInstanceOf(EngineFailureException.class);
    }
  }

  @Test
  void embed_unreachableServer_isAnEngineFailure() {
    server.stop(0);
    try (var engine = engine(Optional.empty(), 3)) {
      assertThat(failure(engine)).isInstanceOf(EngineFailureException.class);
    }
  }

  static Throwable failure(OpenAiEmbeddingEngine engine) {
    var future = engine.embed(texts(OptionalInt.empty(), "x"));
    try {
      future.join();
    } catch (CompletionException e) {
      return e.getCause();
    }
    throw new AssertionError("did not fail");
  }
}
