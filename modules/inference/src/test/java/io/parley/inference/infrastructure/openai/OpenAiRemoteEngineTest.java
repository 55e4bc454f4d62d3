package io.parley.inference.infrastructure.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.parley.inference.domain.ChatMessage;
import io.parley.inference.domain.FinishReason;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.InferenceException;
import io.parley.inference.domain.InvalidGenerationRequestException;
import io.parley.inference.domain.ModelInfo;
import io.parley.inference.domain.Prompt;
import io.parley.inference.domain.SamplingParams;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.Usage;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The remote engine against a small OpenAI-compatible server written here: it streams chat and
 * legacy completions the way OpenAI does and records what it was sent.
 */
class OpenAiRemoteEngineTest {

  static final ObjectMapper JSON = new ObjectMapper();
  HttpServer server;
  final AtomicReference<JsonNode> received = new AtomicReference<>();
  final AtomicReference<String> authorization = new AtomicReference<>();
  OpenAiRemoteEngine engine;

  @BeforeEach
  void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/v1/chat/completions",
        exchange -> {
          received.set(JSON.readTree(exchange.getRequestBody()));
          authorization.set(exchange.getRequestHeaders().getFirst("Authorization"));
          exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
          exchange.sendResponseHeaders(200, 0);
          try (var out = exchange.getResponseBody()) {
            for (var event :
                List.of(
                    "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}",
                    "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"}}]}",
                    "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"}}]}",
                    "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}",
                    "{\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}")) {
              out.write(("data: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
              out.flush();
            }
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
          }
        });
    server.createContext(
        "/v1/completions",
        exchange -> {
          received.set(JSON.readTree(exchange.getRequestBody()));
          var body =
              "{\"error\":{\"message\":\"max_tokens is too large\",\"type\":\"invalid_request_error\"}}";
          exchange.sendResponseHeaders(400, body.length());
          try (var out = exchange.getResponseBody()) {
            out.write(body.getBytes(StandardCharsets.UTF_8));
          }
        });
    server.start();
    engine =
        new OpenAiRemoteEngine(
            new ModelInfo("remote", "parley", 0, 4096, Integer.MAX_VALUE, false),
            URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1"),
            "upstream-model",
            Optional.of("sk-upstream"),
            Duration.ofSeconds(30));
  }

  @AfterEach
  void stop() {
    engine.close();
    server.stop(0);
  }

  static GenerationRequest request(Prompt prompt) {
    return new GenerationRequest(
        "r1",
        "org",
        prompt,
        OptionalInt.of(2),
        1,
        1,
        List.of("\n\n"),
        new SamplingParams(0.5, 0.9, 0, 0, Map.of(17, -100.0), OptionalLong.of(3)),
        OptionalInt.empty(),
        false);
  }

  /** Records what the engine reports. */
  static final class Recorder implements GenerationSink {
    final StringBuilder text = new StringBuilder();
    final CompletableFuture<Usage> done = new CompletableFuture<>();
    FinishReason finish;

    @Override
    public void onEcho(int index, String promptText, List<TokenLogprob> promptTokens) {}

    @Override
    public void onDelta(int index, String delta, List<TokenLogprob> tokens) {
      text.append(delta);
    }

    @Override
    public void onFinish(int index, FinishReason reason) {
      finish = reason;
    }

    @Override
    public void onComplete(Usage usage) {
      done.complete(usage);
    }

    @Override
    public void onError(InferenceException error) {
      done.completeExceptionally(error);
    }
  }

  @Test
  void chat_isForwardedAndStreamedBack() throws Exception {
    var sink = new Recorder();
    engine.generate(request(new Prompt.Chat(List.of(new ChatMessage("user", "Hi")))), sink);
    var usage = sink.done.get(10, TimeUnit.SECONDS);
    assertThat(sink.text.toString()).isEqualTo("Hello world");
    assertThat(sink.finish).isEqualTo(FinishReason.LENGTH);
    assertThat(usage).isEqualTo(new Usage(9, 2));
    var body = received.get();
    assertThat(body.path("model").asText()).isEqualTo("upstream-model");
    assertThat(body.path("messages").get(0).path("content").asText()).isEqualTo("Hi");
    assertThat(body.path("max_tokens").asInt()).isEqualTo(2);
    assertThat(body.path("logit_bias").path("17").asDouble()).isEqualTo(-100.0);
    assertThat(body.path("seed").asLong()).isEqualTo(3);
    assertThat(body.path("stop").get(0).asText()).isEqualTo("\n\n");
    assertThat(body.path("stream").asBoolean()).isTrue();
    assertThat(authorization.get()).isEqualTo("Bearer sk-upstream");
  }

  @Test
  void remoteRejection_becomesAnInvalidRequest() {
    var sink = new Recorder();
    engine.generate(request(new Prompt.Text("Once")), sink);
    assertThatThrownBy(() -> sink.done.get(10, TimeUnit.SECONDS))
        .hasCauseInstanceOf(InvalidGenerationRequestException.class)
        .hasMessageContaining("max_tokens is too large");
  }

  @Test
  void echo_isRefusedUpFront() {
    var echo =
        new GenerationRequest(
            "r2",
            "org",
            new Prompt.Text("Once"),
            OptionalInt.of(2),
            1,
            1,
            List.of(),
            SamplingParams.defaults(),
            OptionalInt.empty(),
            true);
    assertThatThrownBy(() -> engine.generate(echo, new Recorder()))
        .isInstanceOf(InvalidGenerationRequestException.class);
  }
}
