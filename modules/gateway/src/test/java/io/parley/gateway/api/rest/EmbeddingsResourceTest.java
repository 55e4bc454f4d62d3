package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.gateway.application.Admission;
import io.parley.gateway.application.EmbeddingsBackend;
import io.parley.gateway.application.RateLimitDecision;
import io.parley.gateway.application.RateLimiter;
import io.parley.gateway.application.ScriptedUsage;
import io.parley.gateway.application.TextEmbedding;
import io.parley.gateway.application.Unconfigured;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.OrganizationLimits;
import io.parley.gateway.domain.QuotaExceededException;
import io.parley.gateway.domain.RateLimits;
import io.parley.gateway.domain.Role;
import io.parley.gateway.infrastructure.MemoryBucketStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /v1/embeddings} against a real (in-process) embeddings gRPC service. */
class EmbeddingsResourceTest {

  private static final Caller CALLER = new Caller("org-a", "user-1", Role.READER, "key-1", false);

  private ScriptedEmbeddings service;
  private EmbeddingsResource resource;

  @BeforeEach
  void start() throws Exception {
    service = new ScriptedEmbeddings();
    resource = resource(service.client(), Unconfigured.admission());
  }

  @AfterEach
  void stop() {
    service.close();
  }

  private static EmbeddingsResource resource(EmbeddingsBackend client, Admission admission) {
    return new EmbeddingsResource(new TextEmbedding(client, admission, 1), 1 << 20);
  }

  private String embed(String body) throws Exception {
    return embed(resource, body, d -> {});
  }

  private static String embed(
      EmbeddingsResource resource,
      String body,
      java.util.function.Consumer<RateLimitDecision> onDecision)
      throws Exception {
    var output =
        resource.create(
            CALLER,
            "req_1",
            "application/json",
            -1,
            new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)),
            onDecision);
    var bytes = new ByteArrayOutputStream();
    output.write(bytes);
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static String floats(float[] values) {
    var text = new StringBuilder("[");
    for (int i = 0; i < values.length; i++) {
      text.append(i == 0 ? "" : ",").append(Float.toString(values[i]));
    }
    return text.append(']').toString();
  }

  @Test
  void floatEncoding_isOpenAisShape_byteForByte() throws Exception {
    var body = embed("{\"model\":\"mini\",\"input\":[\"abc\",\"de\"]}");

    assertThat(body)
        .isEqualTo(
            "{\"object\":\"list\",\"data\":["
                + "{\"object\":\"embedding\",\"index\":0,\"embedding\":"
                + floats(ScriptedEmbeddings.vector(0, 4))
                + "},{\"object\":\"embedding\",\"index\":1,\"embedding\":"
                + floats(ScriptedEmbeddings.vector(1, 4))
                + "}],\"model\":\"mini\",\"usage\":{\"prompt_tokens\":5,\"total_tokens\":5}}");
    assertThat(body).contains("[0.5,-0.33333334,1.0E-8,-3.1415927]");
  }

  @Test
  void floatEncoding_readsBackAsTheSameFloat32Values() throws Exception {
    var body = Json.MAPPER.readTree(embed("{\"model\":\"mini\",\"input\":[\"abc\",\"de\"]}"));

    for (int i = 0; i < 2; i++) {
      var expected = ScriptedEmbeddings.vector(i, 4);
      var embedding = body.get("data").get(i).get("embedding");
      for (int d = 0; d < 4; d++) {
        assertThat(embedding.get(d).floatValue()).isEqualTo(expected[d]);
      }
    }
  }

  @Test
  void base64Encoding_isLittleEndianFloat32_andDecodesToTheSameFloats() throws Exception {
    var body =
        Json.MAPPER.readTree(
            embed(
                "{\"model\":\"mini\",\"input\":[\"abc\",\"de\"],\"encoding_format\":\"base64\"}"));

    for (int i = 0; i < 2; i++) {
      var item = body.get("data").get(i);
      assertThat(item.get("index").asInt()).isEqualTo(i);
      var text = item.get("embedding").textValue();
      var expected = ScriptedEmbeddings.vector(i, 4);
      var bytes = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
      for (float value : expected) {
        bytes.putFloat(value);
      }
      assertThat(text).isEqualTo(Base64.getEncoder().encodeToString(bytes.array()));
      var decoded =
          ByteBuffer.wrap(Base64.getDecoder().decode(text)).order(ByteOrder.LITTLE_ENDIAN);
      var floats = new float[decoded.remaining() / 4];
      decoded.asFloatBuffer().get(floats);
      assertThat(floats).containsExactly(expected);
    }
    assertThat(body.get("usage").toString()).isEqualTo("{\"prompt_tokens\":5,\"total_tokens\":5}");
  }

  @Test
  void tokenInputs_andDimensions_reachTheService() throws Exception {
    var body =
        Json.MAPPER.readTree(
            embed("{\"model\":\"matryoshka\",\"input\":[[1,2],[3]],\"dimensions\":2}"));

    var sent = service.requests.getFirst();
    assertThat(sent.getRequestId()).isEqualTo("req_1");
    assertThat(sent.getInputs(0).getTokens().getIdsList()).containsExactly(1, 2);
    assertThat(sent.getInputs(1).getTokens().getIdsList()).containsExactly(3);
    assertThat(sent.getDimensions()).isEqualTo(2);
    assertThat(body.get("data").get(1).get("embedding")).hasSize(2);
    assertThat(body.get("usage").get("prompt_tokens").asInt()).isEqualTo(3);
  }

  @Test
  void inputPastTheContext_is400ContextLengthExceeded_withParamInput() {
    var reply =
        failure("{\"model\":\"mini\",\"input\":[\"fine\",\"LONG text\"]}", resource, "req_7");

    assertThat(reply.status()).isEqualTo(400);
    assertThat(new String(reply.body(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"error\":{\"message\":\"This model's maximum context length is 256 tokens, however"
                + " you requested 300 tokens in input[1]. Please reduce the length of the"
                + " input.\",\"type\":\"invalid_request_error\",\"param\":\"input\","
                + "\"code\":\"context_length_exceeded\"}}");
  }

  @Test
  void dimensionsTheModelDoesNotAllow_is400WithParamDimensions() {
    var reply = failure("{\"model\":\"mini\",\"input\":\"x\",\"dimensions\":2}", resource, "r");

    assertThat(reply.status()).isEqualTo(400);
    assertThat(new String(reply.body(), StandardCharsets.UTF_8))
        .contains("\"param\":\"dimensions\"")
        .contains("This model does not support specifying dimensions.");
  }

  @Test
  void unknownModel_is404ModelNotFound() {
    var reply = failure("{\"model\":\"nope\",\"input\":\"x\"}", resource, "r");

    assertThat(reply.status()).isEqualTo(404);
    assertThat(new String(reply.body(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"error\":{\"message\":\"The model `nope` does not exist or you do not have access to"
                + " it.\",\"type\":\"invalid_request_error\",\"param\":null,"
                + "\"code\":\"model_not_found\"}}");
  }

  @Test
  void serviceUnavailable_is503NamingTheService_withRetryAfter() {
    var reply = failure("{\"model\":\"down\",\"input\":\"x\"}", resource, "r");

    assertThat(reply.status()).isEqualTo(503);
    assertThat(reply.headers()).containsEntry("retry-after", "1");
    assertThat(new String(reply.body(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"error\":{\"message\":\"The embeddings service is unavailable. Please retry"
                + " shortly.\",\"type\":\"server_error\",\"param\":null,"
                + "\"code\":\"service_unavailable\"}}");
  }

  @Test
  void serviceGone_is503() {
    service.close();

    var reply = failure("{\"model\":\"mini\",\"input\":\"x\"}", resource, "r");

    assertThat(reply.status()).isEqualTo(503);
    assertThat(reply.headers()).containsKey("retry-after");
  }

  @Test
  void noServiceConfigured_is501NotConfigured() {
    var unconfigured = resource(Unconfigured.embeddings(), Unconfigured.admission());

    var reply = failure("{\"model\":\"mini\",\"input\":\"x\"}", unconfigured, "r");

    assertThat(reply.status()).isEqualTo(501);
    assertThat(reply.headers()).containsEntry("x-should-retry", "false");
    assertThat(new String(reply.body(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"error\":{\"message\":\"Embeddings need the embeddings service"
                + " (parley.embeddings.target is not set).\",\"type\":\"invalid_request_error\","
                + "\"param\":null,\"code\":\"embeddings_service_not_configured\"}}");
  }

  @Test
  void badBody_is400BeforeTheServiceIsCalled() {
    var reply = failure("{\"model\":\"mini\",\"input\":[\"a\",3]}", resource, "r");

    assertThat(reply.status()).isEqualTo(400);
    assertThat(new String(reply.body(), StandardCharsets.UTF_8))
        .isEqualTo(
            "{\"error\":{\"message\":\"Invalid type for 'input[1]': expected a string, but got an"
                + " integer instead.\",\"type\":\"invalid_request_error\",\"param\":\"input[1]\","
                + "\"code\":\"invalid_type\"}}");
    assertThat(service.requests).isEmpty();
  }

  @Test
  void embeddings_areChargedTheEstimate_andBilledTheCountedTokens(@TempDir Path journal)
      throws Exception {
    try (var usage = new ScriptedUsage()) {
      usage.hardLimits.put("org-a", 1_000_000L);
      var metering = usage.metering(journal);
      var limiter =
          new RateLimiter(
              new MemoryBucketStore(),
              org -> new OrganizationLimits(new RateLimits(10, 10_000), Map.of()),
              RateLimits.NONE,
              false,
              1);
      var metered = resource(service.client(), new Admission(limiter, metering));
      var decision = new AtomicReference<RateLimitDecision>();

      // 8 + 6 UTF-8 bytes: 2 + 2 estimated tokens; the service counts one per character (13).
      embed(metered, "{\"model\":\"mini\",\"input\":[\"12345678\",\"héllo\"]}", decision::set);

      await(() -> usage.ledger.containsKey("req_1"));
      assertThat(usage.ledger.get("req_1").getModel()).isEqualTo("mini");
      var actual = usage.ledger.get("req_1").getUsage();
      assertThat(actual.getPromptTokens()).isEqualTo(13);
      assertThat(actual.getCompletionTokens()).isZero();
      assertThat(actual.getTotalTokens()).isEqualTo(13);
      assertThat(decision.get().headers())
          .containsEntry("x-ratelimit-remaining-requests", "9")
          .containsEntry("x-ratelimit-remaining-tokens", "9996");

      assertThatThrownBy(() -> embed(metered, "{\"model\":\"nope\",\"input\":\"x\"}", d -> {}))
          .hasMessageContaining("does not exist");
      // Same request id (this test's helper): the ledger sees a second record of req_1 with no
      // tokens and keeps the first.
      await(() -> usage.receipts("req_1") == 2);
      assertThat(usage.received.getLast().getUsage().getTotalTokens()).isZero();
      assertThat(usage.ledger.get("req_1").getUsage().getPromptTokens()).isEqualTo(13);

      var broke =
          new EmbeddingsResource(
              new TextEmbedding(service.client(), new Admission(limiter, metering), 1), 1 << 20);
      var brokeCaller = new Caller("org-broke", "user-1", Role.OWNER, "key-9", false);
      int before = service.requests.size();
      assertThatThrownBy(
              () ->
                  broke.create(
                      brokeCaller,
                      "req_broke",
                      null,
                      -1,
                      new ByteArrayInputStream(
                          "{\"model\":\"mini\",\"input\":\"x\"}".getBytes(StandardCharsets.UTF_8)),
                      d -> {}))
          .isInstanceOf(QuotaExceededException.class);
      assertThat(service.requests).hasSize(before);
    }
  }

  private static ErrorMapper.Reply failure(String body, EmbeddingsResource resource, String id) {
    try {
      embed(resource, body, d -> {});
    } catch (Throwable e) {
      return ErrorMapper.reply(e, "POST", "/v1/embeddings", 1, id);
    }
    throw new AssertionError("no failure");
  }

  private static void await(BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met in 5 s");
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }
}
