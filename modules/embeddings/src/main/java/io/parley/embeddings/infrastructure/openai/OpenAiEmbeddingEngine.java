package io.parley.embeddings.infrastructure.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.embeddings.domain.EmbeddingEngine;
import io.parley.embeddings.domain.EmbeddingInput;
import io.parley.embeddings.domain.EmbeddingRequest;
import io.parley.embeddings.domain.EmbeddingResult;
import io.parley.embeddings.domain.EmbeddingsException;
import io.parley.embeddings.domain.EngineFailureException;
import io.parley.embeddings.domain.EngineOverloadedException;
import io.parley.embeddings.domain.InvalidEmbeddingRequestException;
import io.parley.embeddings.domain.ModelInfo;
import io.parley.embeddings.domain.Vectors;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves a model from a remote OpenAI-compatible {@code /v1/embeddings} endpoint: Hugging Face Text
 * Embeddings Inference (TEI), vLLM, Ollama, llama.cpp server or OpenAI itself. This is how the
 * service scales past one machine's CPU: the model runs elsewhere (typically on GPUs, batching on
 * its own side), Parley keeps the API, keys and accounting.
 *
 * <p>Each request is one HTTP call with all its inputs; the remote server counts the tokens. The
 * OpenAI API takes either texts or token ids in one request, so requests that mix both are refused.
 */
public final class OpenAiEmbeddingEngine implements EmbeddingEngine {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String id;
  private final String ownedBy;
  private final long created = Instant.now().getEpochSecond();
  private final URI endpoint;
  private final String remoteModel;
  private final Optional<String> apiKey;
  private final AtomicInteger dimensions;
  private final boolean supportsDimensions;
  private final int maxInputTokens;
  private final Duration timeout;
  private final HttpClient client;

  /**
   * @param id the id clients use
   * @param ownedBy owner shown by the listing
   * @param baseUrl base URL ending in {@code /v1}
   * @param remoteModel the model's name on the remote server
   * @param apiKey bearer key for the remote server, when it needs one
   * @param dimensions native vector size; 0 = learnt from the first answer
   * @param supportsDimensions whether the remote model takes {@code dimensions}
   * @param maxInputTokens tokens per input, as the listing shows it (the remote server enforces it)
   * @param timeout longest one request may take
   */
  public OpenAiEmbeddingEngine(
      String id,
      String ownedBy,
      URI baseUrl,
      String remoteModel,
      Optional<String> apiKey,
      int dimensions,
      boolean supportsDimensions,
      int maxInputTokens,
      Duration timeout) {
    this.id = id;
    this.ownedBy = ownedBy;
    var base = baseUrl.toString();
    this.endpoint = URI.create((base.endsWith("/") ? base : base + "/") + "embeddings");
    this.remoteModel = remoteModel;
    this.apiKey = apiKey;
    this.dimensions = new AtomicInteger(dimensions);
    this.supportsDimensions = supportsDimensions;
    this.maxInputTokens = maxInputTokens;
    this.timeout = timeout;
    this.client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  @Override
  public ModelInfo info() {
    return new ModelInfo(
        id, ownedBy, created, dimensions.get(), supportsDimensions, maxInputTokens);
  }

  @Override
  public CompletableFuture<EmbeddingResult> embed(EmbeddingRequest request) {
    var body = body(request);
    var http =
        HttpRequest.newBuilder(endpoint)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    apiKey.ifPresent(key -> http.header("Authorization", "Bearer " + key));
    var call = client.sendAsync(http.build(), HttpResponse.BodyHandlers.ofByteArray());
    var result =
        call.handle(
            (response, failure) -> {
              if (failure != null) {
                throw new EngineFailureException(
                    "The remote engine for " + id + " at " + endpoint + " failed: " + failure,
                    failure);
              }
              return read(response, request.inputs().size());
            });
    result.whenComplete(
        (ok, failure) -> {
          if (result.isCancelled()) {
            call.cancel(true);
          }
        });
    return result;
  }

  private ObjectNode body(EmbeddingRequest request) {
    var body = JSON.createObjectNode();
    body.put("model", remoteModel);
    var input = body.putArray("input");
    boolean texts = false;
    boolean tokens = false;
    for (var item : request.inputs()) {
      switch (item) {
        case EmbeddingInput.Text text -> {
          texts = true;
          input.add(text.text());
        }
        case EmbeddingInput.Tokens ids -> {
          tokens = true;
          var array = input.addArray();
          for (int token : ids.ids()) {
            array.add(token);
          }
        }
      }
    }
    if (texts && tokens) {
      throw new InvalidEmbeddingRequestException(
          "The model " + id + " takes either texts or token ids in one request, not both.",
          "input");
    }
    body.put("encoding_format", "float");
    request.dimensions().ifPresent(d -> body.put("dimensions", d));
    return body;
  }

  private EmbeddingResult read(HttpResponse<byte[]> response, int inputs) {
    int status = response.statusCode();
    JsonNode json;
    try {
      json = JSON.readTree(response.body());
    } catch (IOException e) {
      json = JSON.missingNode();
    }
    if (status / 100 != 2) {
      throw error(status, json == null ? JSON.missingNode() : json);
    }
    var data = json.path("data");
    if (!data.isArray() || data.size() != inputs) {
      throw new EngineFailureException(
          "The remote engine for " + id + " answered " + data.size() + " vectors for " + inputs,
          null);
    }
    var vectors = new float[inputs][];
    for (int i = 0; i < data.size(); i++) {
      var item = data.get(i);
      int index = item.path("index").asInt(i);
      var values = item.path("embedding");
      if (index < 0 || index >= inputs || vectors[index] != null || !values.isArray()) {
        throw new EngineFailureException(
            "The remote engine for " + id + " answered an unusable vector list", null);
      }
      var vector = new float[values.size()];
      for (int d = 0; d < vector.length; d++) {
        vector[d] = (float) values.get(d).asDouble();
      }
      vectors[index] = Vectors.normalize(vector);
    }
    dimensions.compareAndSet(0, vectors[0].length);
    return new EmbeddingResult(
        new ArrayList<>(Arrays.asList(vectors)), json.path("usage").path("prompt_tokens").asInt(0));
  }

  /** A remote failure in the service's own terms; 4xx messages are the user's to read. */
  private EmbeddingsException error(int status, JsonNode json) {
    var error = json.path("error");
    String message = error.isTextual() ? error.asText() : error.path("message").asText("");
    if (message.isEmpty()) {
      message = "The remote engine for " + id + " answered HTTP " + status + ".";
    }
    if (status == 429 || status == 503) {
      return new EngineOverloadedException(message);
    }
    if (status == 400 || status == 404 || status == 413 || status == 422) {
      var param = error.path("param").asText("");
      return new InvalidEmbeddingRequestException(message, param.isEmpty() ? "input" : param);
    }
    return new EngineFailureException(
        "The remote engine for " + id + " answered HTTP " + status + ": " + message, null);
  }

  @Override
  public void close() {
    client.close();
  }
}
