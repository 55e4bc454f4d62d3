package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.parley.gateway.application.GenerationFlow;
import io.parley.gateway.application.ModelCatalog;
import io.parley.gateway.application.Unconfigured;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.ModelNotFoundException;
import io.parley.gateway.domain.Role;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The generation endpoints against a real (in-process) inference gRPC service. */
class GenerationResourcesTest {

  private static final Caller CALLER = new Caller("org-a", "user-1", Role.OWNER, "key-1", false);

  private ScriptedInference inference;
  private ChatCompletionsResource chat;
  private CompletionsResource completions;

  @BeforeEach
  void start() throws Exception {
    inference = new ScriptedInference();
    var flow =
        new GenerationFlow(
            inference.generation(), Unconfigured.admission(), Unconfigured.screening(), 512);
    chat = new ChatCompletionsResource(flow, 1 << 20, 1);
    completions = new CompletionsResource(flow, 1 << 20, 1);
  }

  @AfterEach
  void stop() {
    inference.close();
  }

  @Test
  void chatCompletion_returnsOpenAiShape() throws Exception {
    var body =
        json(
            chat.create(
                CALLER,
                "req_1",
                "application/json",
                -1,
                in(
                    """
                    {"model":"stories","messages":[{"role":"user","content":"Hi"}],"n":2,
                     "max_tokens":4,"temperature":0}"""),
                decision -> {}));

    assertThat(body.get("id").asText()).startsWith("chatcmpl-");
    assertThat(body.get("object").asText()).isEqualTo("chat.completion");
    assertThat(body.get("model").asText()).isEqualTo("stories");
    assertThat(body.get("choices")).hasSize(2);
    var choice = body.get("choices").get(1);
    assertThat(choice.get("index").asInt()).isEqualTo(1);
    assertThat(choice.get("message").toString())
        .isEqualTo("{\"role\":\"assistant\",\"content\":\"Once upon a time\",\"refusal\":null}");
    assertThat(choice.get("logprobs").isNull()).isTrue();
    assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
    assertThat(body.get("usage").toString())
        .isEqualTo("{\"prompt_tokens\":5,\"completion_tokens\":8,\"total_tokens\":13}");
    assertThat(body.has("system_fingerprint")).isTrue();

    var sent = inference.requests.getFirst();
    assertThat(sent.getRequestId()).isEqualTo("req_1");
    assertThat(sent.getChat().getMessages(0).getContent()).isEqualTo("Hi");
    assertThat(sent.getMaxTokens()).isEqualTo(4);
    assertThat(sent.getSampling().getTemperature()).isZero();
    assertThat(sent.getN()).isEqualTo(2);
    assertThat(sent.hasLogprobs()).isFalse();
  }

  @Test
  void chatCompletion_stream_sendsRoleContentFinishUsageAndDone() throws Exception {
    var response =
        chat.create(
            CALLER,
            "req_1",
            null,
            -1,
            in(
                """
                {"model":"stories","messages":[{"role":"user","content":"Hi"}],"stream":true,
                 "stream_options":{"include_usage":true}}"""),
            decision -> {});

    assertThat(response.json()).isNull();
    var events = events(response);
    // The scripted engine sends every word at once: the relay may merge the words it finds
    // waiting into one content chunk, so the text is checked whole.
    var first = Json.MAPPER.readTree(events.get(0));
    assertThat(first.get("object").asText()).isEqualTo("chat.completion.chunk");
    assertThat(first.get("choices").get(0).get("delta").toString())
        .isEqualTo("{\"role\":\"assistant\",\"content\":\"\"}");
    assertThat(first.get("usage").isNull()).isTrue();
    var text = new StringBuilder();
    for (var event : events.subList(1, events.size() - 3)) {
      var chunk = Json.MAPPER.readTree(event);
      assertThat(chunk.get("id").asText()).isEqualTo(first.get("id").asText());
      assertThat(chunk.get("created").asLong()).isEqualTo(first.get("created").asLong());
      assertThat(chunk.get("choices").get(0).get("finish_reason").isNull()).isTrue();
      text.append(chunk.get("choices").get(0).get("delta").get("content").asText());
    }
    assertThat(text).hasToString("Once upon a time");
    var last = Json.MAPPER.readTree(events.get(events.size() - 3)).get("choices").get(0);
    assertThat(last.get("delta").toString()).isEqualTo("{}");
    assertThat(last.get("finish_reason").asText()).isEqualTo("stop");
    var usage = Json.MAPPER.readTree(events.get(events.size() - 2));
    assertThat(usage.get("choices")).isEmpty();
    assertThat(usage.get("usage").get("total_tokens").asInt()).isEqualTo(9);
    assertThat(events.getLast()).isEqualTo("[DONE]");
  }

  @Test
  void chatCompletion_streamReadLate_mergesTheWaitingWordsIntoOneChunkAndOneFlush()
      throws Exception {
    var response =
        chat.create(
            CALLER,
            "req_1",
            null,
            -1,
            in(
                """
                {"model":"stories","messages":[{"role":"user","content":"Hi"}],"stream":true}"""),
            decision -> {});
    // Every word has arrived before the relay writes anything.
    Thread.sleep(300);
    var out = new FlushCounting();
    response.stream().write(out);

    var events = events(out.toString(StandardCharsets.UTF_8));
    assertThat(events).hasSize(4);
    assertThat(Json.MAPPER.readTree(events.get(1)).get("choices").get(0).get("delta").toString())
        .isEqualTo("{\"content\":\"Once upon a time\"}");
    assertThat(
            Json.MAPPER.readTree(events.get(2)).get("choices").get(0).get("finish_reason").asText())
        .isEqualTo("stop");
    assertThat(out.flushes).isEqualTo(1);
  }

  @Test
  void chatCompletion_streamReadInStep_sendsOneChunkAndOneFlushPerWord() throws Exception {
    var response =
        chat.create(
            CALLER,
            "req_1",
            null,
            -1,
            in(
                """
                {"model":"lockstep","messages":[{"role":"user","content":"Hi"}],"stream":true,
                 "stream_options":{"include_usage":true}}"""),
            decision -> {});
    // The next word is sent only once the last one has reached the client (its event flushed).
    var out =
        new FlushCounting() {
          int released;

          @Override
          public void flush() {
            super.flush();
            var words = CONTENT.matcher(toString(StandardCharsets.UTF_8)).results().count();
            for (; released < words; released++) {
              inference.written.release();
            }
          }
        };
    response.stream().write(out);

    var events = events(out.toString(StandardCharsets.UTF_8));
    var words = new ArrayList<String>();
    for (var event : events.subList(1, 5)) {
      words.add(
          Json.MAPPER.readTree(event).get("choices").get(0).get("delta").get("content").asText());
    }
    assertThat(words).containsExactlyElementsOf(ScriptedInference.WORDS);
    assertThat(events).hasSize(8);
    assertThat(out.flushes).isGreaterThanOrEqualTo(4);
  }

  private static final java.util.regex.Pattern CONTENT =
      java.util.regex.Pattern.compile("\"delta\":\\{\"content\":\"[^\"]");

  /** Counts the flushes of what it collects. */
  static class FlushCounting extends ByteArrayOutputStream {
    int flushes;

    @Override
    public void flush() {
      flushes++;
    }
  }

  @Test
  void chatCompletion_unknownModel_isModelNotFoundBeforeAnyByte() {
    var body =
        """
        {"model":"nope","messages":[{"role":"user","content":"Hi"}],"stream":true}""";
    assertThatThrownBy(() -> chat.create(CALLER, "req_1", null, -1, in(body), decision -> {}))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessage("The model `nope` does not exist or you do not have access to it.");
  }

  @Test
  void chatCompletion_failureAfterTheFirstChunk_isAnErrorEvent() throws Exception {
    var response =
        chat.create(
            CALLER,
            "req_9",
            null,
            -1,
            in(
                """
                {"model":"broken","messages":[{"role":"user","content":"Hi"}],"stream":true}"""),
            decision -> {});

    var events = events(response);
    // The text generated before the failure is delivered before the error event.
    assertThat(events.get(1)).contains("\"delta\":{\"content\":\"Once\"}");
    assertThat(events.getLast())
        .isEqualTo(
            "{\"error\":{\"message\":\"The server had an error while processing your request."
                + " (Please include the request ID req_9 if you report this error.)\","
                + "\"type\":\"server_error\",\"param\":null,\"code\":null}}");
    assertThat(events).doesNotContain("[DONE]");
  }

  @Test
  void chatCompletion_failureWaitingBehindText_deliversTheTextThenTheErrorEvent() throws Exception {
    var response =
        chat.create(
            CALLER,
            "req_9",
            null,
            -1,
            in(
                """
                {"model":"broken","messages":[{"role":"user","content":"Hi"}],"stream":true}"""),
            decision -> {});
    // The word and the failure have both arrived before the relay writes anything.
    Thread.sleep(300);

    var events = events(response);
    assertThat(events).hasSize(3);
    assertThat(events.get(1)).contains("\"delta\":{\"content\":\"Once\"}");
    assertThat(events.get(2)).startsWith("{\"error\":{");
  }

  @Test
  void chatCompletion_stillStreamingWhenTheDrainRunsOut_endsWithAnErrorEvent() throws Exception {
    var response =
        chat.create(
            CALLER,
            "req_7",
            null,
            -1,
            in(
                """
                {"model":"slow","messages":[{"role":"user","content":"Hi"}],"stream":true}"""),
            decision -> {});
    var events = java.util.concurrent.CompletableFuture.supplyAsync(() -> eventsOf(response));
    Thread.sleep(300);
    assertThat(events).as("the slow model streams until stopped").isNotDone();

    inference.drain.enter(); // the stream's request, as the in-flight filter counts it
    assertThat(inference.drain.drain(java.time.Duration.ZERO, java.time.Duration.ofMillis(200)))
        .isEqualTo(1);

    var written = events.get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(written.get(1)).contains("\"delta\":{\"content\":\" and");
    assertThat(written.getLast())
        .startsWith("{\"error\":{\"message\":\"This server is shutting down")
        .contains("\"type\":\"server_error\"")
        .contains("\"code\":\"service_unavailable\"");
    assertThat(written).doesNotContain("[DONE]");
    assertThat(inference.cancelled.await(5, java.util.concurrent.TimeUnit.SECONDS))
        .as("the generation was stopped")
        .isTrue();
  }

  private static List<String> eventsOf(GenerationEndpoint.Reply response) {
    try {
      return events(response);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void chatCompletion_clientGoesAway_cancelsTheGeneration() throws Exception {
    var response =
        chat.create(
            CALLER,
            "req_1",
            null,
            -1,
            in(
                """
                {"model":"slow","messages":[{"role":"user","content":"Hi"}],"stream":true}"""),
            decision -> {});
    var output = response.stream();
    var failing =
        new OutputStream() {
          int writes;

          @Override
          public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
          }

          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            if (++writes > 3) {
              throw new IOException("Broken pipe");
            }
          }
        };

    output.write(failing);

    assertThat(inference.cancelled.await(5, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void completion_arrayOfPrompts_fansOutWithIndexesPromptTimesNPlusJ() throws Exception {
    var body =
        json(
            completions.create(
                CALLER,
                "req_1",
                "application/json",
                -1,
                in(
                    """
                    {"model":"stories","prompt":["A","B"],"n":2,"echo":true}"""),
                decision -> {}));

    assertThat(body.get("object").asText()).isEqualTo("text_completion");
    assertThat(body.get("id").asText()).startsWith("cmpl-");
    var choices = body.get("choices");
    assertThat(choices).hasSize(4);
    assertThat(choices.get(2).get("index").asInt()).isEqualTo(2);
    assertThat(choices.get(2).get("text").asText()).isEqualTo("BOnce upon a time");
    assertThat(choices.get(1).get("text").asText()).isEqualTo("AOnce upon a time");
    assertThat(body.get("usage").toString())
        .isEqualTo("{\"prompt_tokens\":10,\"completion_tokens\":16,\"total_tokens\":26}");
    assertThat(inference.requests).hasSize(2);
    assertThat(inference.requests.get(1).getText().getText()).isEqualTo("B");
    assertThat(inference.requests.get(1).getMaxTokens()).isEqualTo(16);
  }

  @Test
  void completion_stream_ofTwoPrompts_shiftsIndexesAndSumsUsage() throws Exception {
    var response =
        completions.create(
            CALLER,
            "req_1",
            null,
            -1,
            in(
                """
                {"model":"stories","prompt":[[1,2],[3]],"stream":true,
                 "stream_options":{"include_usage":true}}"""),
            decision -> {});

    var events = events(response);
    // Per prompt: its words (merged when they wait), the last with finish_reason stop.
    var texts = new StringBuilder[] {new StringBuilder(), new StringBuilder()};
    var finishes = new ArrayList<Integer>();
    for (var event : events.subList(0, events.size() - 2)) {
      var chunk = Json.MAPPER.readTree(event);
      assertThat(chunk.get("object").asText()).isEqualTo("text_completion");
      var choice = chunk.get("choices").get(0);
      int index = choice.get("index").asInt();
      assertThat(finishes).doesNotContain(index);
      texts[index].append(choice.get("text").asText());
      if (choice.get("finish_reason").asText().equals("stop")) {
        finishes.add(index);
      }
    }
    assertThat(texts[0]).hasToString("Once upon a time");
    assertThat(texts[1]).hasToString("Once upon a time");
    assertThat(finishes).containsExactly(0, 1);
    var usage = Json.MAPPER.readTree(events.get(events.size() - 2));
    assertThat(usage.get("usage").get("prompt_tokens").asInt()).isEqualTo(10);
    assertThat(events.getLast()).isEqualTo("[DONE]");
    assertThat(inference.requests.get(0).getTokens().getTokensList()).containsExactly(1, 2);
  }

  @Test
  void completion_streamWithBestOfAboveN_isRejected() {
    var body =
        """
        {"model":"stories","prompt":"x","stream":true,"best_of":2}""";
    assertThatThrownBy(
            () -> completions.create(CALLER, "req_1", null, -1, in(body), decision -> {}))
        .isInstanceOfSatisfying(
            GatewayException.class, e -> assertThat(e.param()).contains("best_of"));
  }

  @Test
  void models_listAndGet() throws Exception {
    var models =
        new ModelsResource(
            new ModelCatalog(
                inference.client(), Unconfigured.embeddings(), Unconfigured.fineTunedModels()));

    assertThat(Json.MAPPER.writeValueAsString(models.models()))
        .isEqualTo(
            "{\"object\":\"list\",\"data\":[{\"id\":\"stories\",\"object\":\"model\","
                + "\"created\":1700000000,\"owned_by\":\"parley\"}]}");
    assertThat(models.model("stories").id()).isEqualTo("stories");
    assertThatThrownBy(() -> models.model("gpt-4"))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessage("The model `gpt-4` does not exist or you do not have access to it.");
  }

  private static ByteArrayInputStream in(String json) {
    return new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8));
  }

  private static JsonNode json(GenerationEndpoint.Reply reply) throws IOException {
    assertThat(reply.stream()).isNull();
    return Json.MAPPER.readTree(reply.json());
  }

  /** The data of each event, checking the SSE framing. */
  private static List<String> events(GenerationEndpoint.Reply reply) throws IOException {
    var bytes = new ByteArrayOutputStream();
    reply.stream().write(bytes);
    return events(bytes.toString(StandardCharsets.UTF_8));
  }

  private static List<String> events(String text) {
    assertThat(text).endsWith("\n\n");
    var events = new ArrayList<String>();
    for (var event : text.split("\n\n")) {
      assertThat(event).startsWith("data: ");
      events.add(event.substring("data: ".length()));
    }
    return events;
  }
}
