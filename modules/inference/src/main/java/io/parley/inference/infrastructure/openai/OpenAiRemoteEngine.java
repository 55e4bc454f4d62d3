package io.parley.inference.infrastructure.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.inference.domain.ChatMessage;
import io.parley.inference.domain.EngineFailureException;
import io.parley.inference.domain.EngineOverloadedException;
import io.parley.inference.domain.FinishReason;
import io.parley.inference.domain.Generation;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.InferenceException;
import io.parley.inference.domain.InvalidGenerationRequestException;
import io.parley.inference.domain.ModelInfo;
import io.parley.inference.domain.Prompt;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.TopLogprob;
import io.parley.inference.domain.Usage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Serves a model from any OpenAI-compatible server (vLLM, TGI, Ollama, llama.cpp server, OpenAI):
 * requests are forwarded as streamed {@code /chat/completions} or {@code /completions} calls and
 * the streamed answer is fed back to the caller as it arrives. This is how Parley scales past one
 * machine's CPU: the engine runs elsewhere, Parley keeps the API, keys and accounting.
 *
 * <p>Not available through a remote engine: {@code echo}, {@code best_of} greater than {@code n}
 * and tokenization (the OpenAI API has no tokenizer endpoint); such requests are refused with a
 * clear error. Token ids in logprobs are unknown remotely and reported as -1.
 */
public final class OpenAiRemoteEngine implements io.parley.inference.domain.TextEngine {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ModelInfo info;
  private final URI baseUrl;
  private final String remoteModel;
  private final Optional<String> apiKey;
  private final HttpClient client;
  private final Duration requestTimeout;
  private final Set<InputStream> open = java.util.concurrent.ConcurrentHashMap.newKeySet();

  /**
   * @param info what the model listing shows
   * @param baseUrl base URL ending in {@code /v1}
   * @param remoteModel the model's name on the remote server
   * @param apiKey bearer key for the remote server, when it needs one
   * @param requestTimeout longest a whole generation may take
   */
  public OpenAiRemoteEngine(
      ModelInfo info,
      URI baseUrl,
      String remoteModel,
      Optional<String> apiKey,
      Duration requestTimeout) {
    this.info = info;
    this.baseUrl = baseUrl;
    this.remoteModel = remoteModel;
    this.apiKey = apiKey;
    this.requestTimeout = requestTimeout;
    this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  @Override
  public ModelInfo info() {
    return info;
  }

  @Override
  public int[] tokenize(String text, boolean addSpecial) {
    throw new InvalidGenerationRequestException(
        "Tokenization is not available for the remote model " + info.id() + ".", "model");
  }

  @Override
  public String detokenize(int[] tokens) {
    throw new InvalidGenerationRequestException(
        "Detokenization is not available for the remote model " + info.id() + ".", "model");
  }

  @Override
  public String renderChat(List<ChatMessage> messages) {
    throw new InvalidGenerationRequestException(
        "Chat templates are applied by the remote server for " + info.id() + ".", "model");
  }

  @Override
  public Generation generate(GenerationRequest request, GenerationSink sink) {
    if (request.echo()) {
      throw new InvalidGenerationRequestException(
          "echo is not supported for the remote model " + info.id() + ".", "echo");
    }
    if (request.bestOf() > request.n()) {
      throw new InvalidGenerationRequestException(
          "best_of is not supported for the remote model " + info.id() + ".", "best_of");
    }
    boolean chat = request.prompt() instanceof Prompt.Chat;
    var body = body(request, chat);
    var http =
        HttpRequest.newBuilder(URI.create(baseUrl + (chat ? "/chat/completions" : "/completions")))
            .timeout(requestTimeout)
            .header("Content-Type", "application/json")
            .header("Accept", "text/event-stream")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    apiKey.ifPresent(k -> http.header("Authorization", "Bearer " + k));
    var cancelled = new AtomicBoolean();
    var stream = new AtomicReference<InputStream>();
    Thread.ofVirtual()
        .name("openai-remote-" + request.requestId())
        .start(() -> run(http.build(), chat, request.n(), sink, cancelled, stream));
    return () -> {
      cancelled.set(true);
      closeQuietly(stream.get());
    };
  }

  private byte[] body(GenerationRequest request, boolean chat) {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", remoteModel);
    switch (request.prompt()) {
      case Prompt.Chat c -> {
        ArrayNode messages = body.putArray("messages");
        for (var m : c.messages()) {
          messages.addObject().put("role", m.role()).put("content", m.content());
        }
      }
      case Prompt.Text t -> {
        body.put("prompt", t.text());
        t.suffix().ifPresent(s -> body.put("suffix", s));
      }
      case Prompt.Tokens t -> {
        ArrayNode tokens = body.putArray("prompt");
        for (int token : t.tokens()) {
          tokens.add(token);
        }
      }
    }
    request.maxTokens().ifPresent(m -> body.put("max_tokens", m));
    body.put("n", request.n());
    var s = request.sampling();
    body.put("temperature", s.temperature());
    body.put("top_p", s.topP());
    body.put("presence_penalty", s.presencePenalty());
    body.put("frequency_penalty", s.frequencyPenalty());
    s.seed().ifPresent(seed -> body.put("seed", seed));
    if (!s.logitBias().isEmpty()) {
      var bias = body.putObject("logit_bias");
      s.logitBias().forEach((token, value) -> bias.put(Integer.toString(token), value));
    }
    if (!request.stop().isEmpty()) {
      var stop = body.putArray("stop");
      request.stop().forEach(stop::add);
    }
    request
        .logprobs()
        .ifPresent(
            k -> {
              if (chat) {
                body.put("logprobs", true);
                body.put("top_logprobs", k);
              } else {
                body.put("logprobs", k);
              }
            });
    body.put("stream", true);
    body.putObject("stream_options").put("include_usage", true);
    try {
      return JSON.writeValueAsBytes(body);
    } catch (IOException e) {
      throw new EngineFailureException("Could not encode the remote request", e);
    }
  }

  private void run(
      HttpRequest http,
      boolean chat,
      int n,
      GenerationSink sink,
      AtomicBoolean cancelled,
      AtomicReference<InputStream> stream) {
    var finished = new HashSet<Integer>();
    int[] completionTokens = new int[1];
    Usage usage = null;
    try {
      var response = client.send(http, HttpResponse.BodyHandlers.ofInputStream());
      stream.set(response.body());
      open.add(response.body());
      if (response.statusCode() != 200) {
        String detail;
        try (var in = response.body()) {
          detail = new String(in.readNBytes(4096), StandardCharsets.UTF_8);
        }
        throw remoteError(response.statusCode(), detail);
      }
      try (var reader =
          new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
        for (String line; (line = reader.readLine()) != null; ) {
          if (!line.startsWith("data:")) {
            continue;
          }
          var data = line.substring(5).trim();
          if (data.equals("[DONE]")) {
            break;
          }
          var event = JSON.readTree(data);
          if (event.has("error")) {
            throw new EngineFailureException(
                "The remote engine failed: " + event.path("error").path("message").asText());
          }
          if (event.hasNonNull("usage")) {
            var u = event.get("usage");
            usage = new Usage(u.path("prompt_tokens").asInt(), u.path("completion_tokens").asInt());
          }
          for (var choice : event.path("choices")) {
            int index = choice.path("index").asInt();
            String text =
                chat
                    ? choice.path("delta").path("content").asText("")
                    : choice.path("text").asText("");
            var tokens = logprobs(choice.path("logprobs"), chat);
            if (!text.isEmpty() || !tokens.isEmpty()) {
              completionTokens[0] += Math.max(1, tokens.size());
              sink.onDelta(index, text, tokens);
            }
            var reason = choice.path("finish_reason");
            if (reason.isTextual() && finished.add(index)) {
              sink.onFinish(
                  index,
                  reason.asText().equals("length") ? FinishReason.LENGTH : FinishReason.STOP);
            }
          }
        }
      }
      for (int i = 0; i < n; i++) {
        if (finished.add(i)) {
          sink.onFinish(i, cancelled.get() ? FinishReason.CANCELLED : FinishReason.STOP);
        }
      }
      sink.onComplete(usage != null ? usage : new Usage(0, completionTokens[0]));
    } catch (InferenceException e) {
      sink.onError(e);
    } catch (IOException e) {
      if (cancelled.get()) {
        for (int i = 0; i < n; i++) {
          if (finished.add(i)) {
            sink.onFinish(i, FinishReason.CANCELLED);
          }
        }
        sink.onComplete(usage != null ? usage : new Usage(0, completionTokens[0]));
      } else {
        sink.onError(new EngineFailureException("The remote engine could not be reached: " + e, e));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      sink.onError(new EngineFailureException("Interrupted", e));
    } finally {
      var body = stream.get();
      if (body != null) {
        open.remove(body);
      }
    }
  }

  private static InferenceException remoteError(int status, String body) {
    String message;
    try {
      message = JSON.readTree(body).path("error").path("message").asText(body);
    } catch (IOException e) {
      message = body;
    }
    if (status == 429 || status == 503) {
      return new EngineOverloadedException("The remote engine is overloaded: " + message);
    }
    if (status == 400 || status == 422) {
      return new InvalidGenerationRequestException(message, null);
    }
    return new EngineFailureException("The remote engine answered HTTP " + status + ": " + message);
  }

  private static List<TokenLogprob> logprobs(JsonNode node, boolean chat) {
    var result = new ArrayList<TokenLogprob>();
    if (node.isMissingNode() || node.isNull()) {
      return result;
    }
    if (chat) {
      for (var item : node.path("content")) {
        var top = new ArrayList<TopLogprob>();
        for (var alt : item.path("top_logprobs")) {
          top.add(
              new TopLogprob(
                  -1,
                  alt.path("token").asText(),
                  alt.path("token").asText().getBytes(StandardCharsets.UTF_8),
                  alt.path("logprob").asDouble()));
        }
        result.add(
            new TokenLogprob(
                -1,
                item.path("token").asText(),
                item.path("token").asText().getBytes(StandardCharsets.UTF_8),
                OptionalDouble.of(item.path("logprob").asDouble()),
                top,
                0));
      }
    } else {
      var tokens = node.path("tokens");
      for (int i = 0; i < tokens.size(); i++) {
        var token = tokens.get(i).asText();
        var top = new ArrayList<TopLogprob>();
        var alts = node.path("top_logprobs").path(i);
        alts.fields()
            .forEachRemaining(
                e ->
                    top.add(
                        new TopLogprob(
                            -1,
                            e.getKey(),
                            e.getKey().getBytes(StandardCharsets.UTF_8),
                            e.getValue().asDouble())));
        var logprob = node.path("token_logprobs").path(i);
        result.add(
            new TokenLogprob(
                -1,
                token,
                token.getBytes(StandardCharsets.UTF_8),
                logprob.isNumber() ? OptionalDouble.of(logprob.asDouble()) : OptionalDouble.empty(),
                top,
                node.path("text_offset").path(i).asInt()));
      }
    }
    return result;
  }

  private static void closeQuietly(InputStream in) {
    if (in != null) {
      try {
        in.close();
      } catch (IOException ignored) {
        // closing a cancelled stream; nothing left to do
      }
    }
  }

  @Override
  public void close() {
    open.forEach(OpenAiRemoteEngine::closeQuietly);
    client.close();
  }
}
