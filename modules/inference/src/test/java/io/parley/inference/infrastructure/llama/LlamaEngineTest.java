package io.parley.inference.infrastructure.llama;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.inference.domain.ChatMessage;
import io.parley.inference.domain.ContextLengthExceededException;
import io.parley.inference.domain.FinishReason;
import io.parley.inference.domain.Generation;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.InvalidGenerationRequestException;
import io.parley.inference.domain.Prompt;
import io.parley.inference.domain.SamplingParams;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The engine end to end on the real stories260K model. */
class LlamaEngineTest {

  private static final String PROMPT = "Once upon a time";
  private static LlamaEngine engine;

  @BeforeAll
  static void load() {
    engine = LlamaEngine.load(TestModels.config(4));
  }

  @AfterAll
  static void close() {
    if (engine != null) {
      engine.close();
    }
  }

  static GenerationRequest request(Prompt prompt, OptionalInt maxTokens, SamplingParams sampling) {
    return new GenerationRequest(
        "test", "org", prompt, maxTokens, 1, 1, List.of(), sampling, OptionalInt.empty(), false);
  }

  static GenerationRequest greedy(String prompt, int maxTokens) {
    return request(new Prompt.Text(prompt), OptionalInt.of(maxTokens), SamplingParams.greedy());
  }

  static GenerationRequest with(
      GenerationRequest r,
      int n,
      int bestOf,
      List<String> stop,
      SamplingParams sampling,
      OptionalInt logprobs,
      boolean echo) {
    return new GenerationRequest(
        r.requestId(),
        r.organization(),
        r.prompt(),
        r.maxTokens(),
        n,
        bestOf,
        stop,
        sampling,
        logprobs,
        echo);
  }

  static SamplingParams seeded(double temperature, long seed) {
    return new SamplingParams(temperature, 1, 0, 0, Map.of(), OptionalLong.of(seed));
  }

  static CollectingSink run(GenerationRequest request) {
    CollectingSink sink = new CollectingSink();
    engine.generate(request, sink);
    sink.await();
    return sink;
  }

  @Test
  void infoDescribesTheModel() {
    assertEquals("stories260K", engine.info().id());
    assertEquals(512, engine.info().vocabSize());
    assertTrue(engine.info().contextLength() > 0);
    assertFalse(engine.info().supportsFillInTheMiddle());
  }

  @Test
  void tokenizerRoundTrip() {
    for (String text :
        List.of("Once upon a time", "Lily saw a big dog.\nShe smiled!", "Café ☕ 日本")) {
      int[] tokens = engine.tokenize(text, true);
      assertTrue(tokens.length > 0);
      assertEquals(text, engine.detokenize(tokens), "round trip of " + text);
      assertArrayEquals(tokens, engine.tokenize(text, true));
    }
    int[] withBos = engine.tokenize(PROMPT, true);
    int[] without = engine.tokenize(PROMPT, false);
    assertEquals(without.length + 1, withBos.length);
  }

  @Test
  void chatFallsBackToChatMlAndMatchesLlamaCppChatMl() {
    List<ChatMessage> messages =
        List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi"));
    String rendered = engine.renderChat(messages);
    assertEquals(
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
        rendered);
    assertEquals(Optional.of(rendered), engine.applyChatTemplate("chatml", messages));
    assertTrue(engine.applyChatTemplate("no such template {{ nonsense }}", messages).isEmpty());
  }

  @Test
  void chatGenerationRuns() {
    CollectingSink sink =
        run(
            request(
                new Prompt.Chat(List.of(new ChatMessage("user", "Tell me a story"))),
                OptionalInt.of(8),
                SamplingParams.greedy()));
    int expectedPrompt =
        engine.tokenize(
                engine.renderChat(List.of(new ChatMessage("user", "Tell me a story"))), true)
            .length;
    // stories260K has no special chat tokens, so the rendered prompt tokenizes the same either way
    assertEquals(expectedPrompt, sink.await().promptTokens());
    assertEquals(1, sink.completeCalls);
  }

  @Test
  void temperatureZeroIsDeterministic() {
    CollectingSink a = run(greedy(PROMPT, 40));
    CollectingSink b = run(greedy(PROMPT, 40));
    assertFalse(a.text(0).isBlank());
    assertEquals(a.text(0), b.text(0));
  }

  @Test
  void maxTokensGivesLengthAndExactlyThatManyTokens() {
    CollectingSink sink = run(greedy(PROMPT, 17));
    Usage usage = sink.await();
    assertEquals(FinishReason.LENGTH, sink.finishes.get(0));
    assertEquals(17, usage.completionTokens());
    assertEquals(17, sink.tokens(0).size());
    assertEquals(engine.tokenize(PROMPT, true).length, usage.promptTokens());
    // the text is exactly the concatenation of the reported token bytes
    StringBuilder fromTokens = new StringBuilder();
    for (TokenLogprob t : sink.tokens(0)) {
      fromTokens.append(t.text());
    }
    assertEquals(fromTokens.toString(), sink.text(0));
    assertEquals(1, sink.completeCalls);
    assertEquals(0, sink.errorCalls);
  }

  @Test
  void usageMatchesTokenizeCounts() {
    String prompt = "The little dog ran to the park and";
    CollectingSink sink = run(greedy(prompt, 12));
    Usage usage = sink.await();
    assertEquals(engine.tokenize(prompt, true).length, usage.promptTokens());
    assertEquals(sink.tokens(0).size(), usage.completionTokens());
    CollectingSink byTokens =
        run(
            request(
                new Prompt.Tokens(engine.tokenize(prompt, true)),
                OptionalInt.of(12),
                SamplingParams.greedy()));
    assertEquals(usage, byTokens.await());
    assertEquals(sink.text(0), byTokens.text(0));
  }

  @Test
  void logitBiasBansTheGreedyToken() {
    CollectingSink plain = run(greedy(PROMPT, 20));
    int banned = plain.tokens(0).get(0).token();
    GenerationRequest biased =
        request(
            new Prompt.Text(PROMPT),
            OptionalInt.of(20),
            new SamplingParams(0, 1, 0, 0, Map.of(banned, -100.0), OptionalLong.empty()));
    CollectingSink sink = run(biased);
    assertNotEquals(plain.text(0), sink.text(0));
    for (TokenLogprob t : sink.tokens(0)) {
      assertNotEquals(banned, t.token());
    }
  }

  @Test
  void stopStringIsNeverEmittedAndFinishesWithStop() {
    String full = run(greedy(PROMPT, 60)).text(0);
    int at = full.indexOf("Lily");
    assertTrue(at > 0, "greedy text should mention Lily: " + full);
    GenerationRequest r =
        with(
            greedy(PROMPT, 60),
            1,
            1,
            List.of("Lily", "zzz"),
            SamplingParams.greedy(),
            OptionalInt.empty(),
            false);
    CollectingSink sink = run(r);
    assertEquals(FinishReason.STOP, sink.finishes.get(0));
    assertEquals(full.substring(0, at), sink.text(0));
    for (CollectingSink.Event e : sink.events) {
      if (e.text() != null) {
        assertFalse(e.text().contains("Lily"));
      }
    }
  }

  @Test
  void nChoicesWithSeedShareOnePromptEvaluationAndAreReproducible() {
    GenerationRequest r =
        with(greedy(PROMPT, 24), 3, 3, List.of(), seeded(1.0, 42), OptionalInt.empty(), false);
    long before = engine.stats().promptTokensEvaluated();
    CollectingSink a = run(r);
    long evaluated = engine.stats().promptTokensEvaluated() - before;
    int promptLength = engine.tokenize(PROMPT, true).length;
    assertEquals(promptLength, a.await().promptTokens());
    Set<String> texts = new HashSet<>();
    int completion = 0;
    for (int i = 0; i < 3; i++) {
      assertTrue(a.finishes.containsKey(i));
      texts.add(a.text(i));
      completion += a.tokens(i).size();
    }
    assertEquals(3, texts.size(), "choices differ: " + texts);
    assertEquals(completion, a.await().completionTokens());
    CollectingSink b = run(r);
    for (int i = 0; i < 3; i++) {
      assertEquals(a.text(i), b.text(i));
    }
    // only one prompt evaluation per request (other tests may run concurrently only if configured
    // so; they don't)
    assertEquals(promptLength, evaluated);
  }

  @Test
  void bestOfReturnsTheBestNAtTheEnd() {
    GenerationRequest r =
        with(greedy(PROMPT, 16), 1, 3, List.of(), seeded(1.0, 7), OptionalInt.of(0), false);
    CollectingSink sink = run(r);
    Usage usage = sink.await();
    assertEquals(Set.of(0), sink.finishes.keySet());
    long deltas = sink.events.stream().filter(e -> e.kind().equals("delta")).count();
    assertEquals(1, deltas, "best_of results are reported once at the end");
    assertTrue(usage.completionTokens() > sink.tokens(0).size(), "all sequences are billed");
    assertTrue(sink.tokens(0).stream().allMatch(t -> t.logprob().isPresent()));
  }

  @Test
  void echoWithLogprobs() {
    GenerationRequest r =
        with(greedy(PROMPT, 5), 1, 1, List.of(), SamplingParams.greedy(), OptionalInt.of(2), true);
    CollectingSink sink = run(r);
    int[] promptTokens = engine.tokenize(PROMPT, true);
    assertEquals(PROMPT, sink.echoTexts.get(0));
    List<TokenLogprob> echoed = sink.echoTokens.get(0);
    assertEquals(promptTokens.length, echoed.size());
    assertTrue(echoed.get(0).logprob().isEmpty(), "first prompt token has no logprob");
    for (int i = 1; i < echoed.size(); i++) {
      TokenLogprob t = echoed.get(i);
      assertEquals(promptTokens[i], t.token());
      assertTrue(t.logprob().getAsDouble() <= 0);
      assertEquals(2, t.top().size());
      assertTrue(t.top().get(0).logprob() >= t.top().get(1).logprob());
      assertTrue(t.top().get(0).logprob() >= t.logprob().getAsDouble());
    }
    // event order: echo before any delta
    assertEquals("echo", sink.events.get(0).kind());
    List<TokenLogprob> generated = sink.tokens(0);
    assertEquals(5, generated.size());
    for (TokenLogprob t : generated) {
      // greedy picks the most likely token of the raw distribution
      assertEquals(t.top().get(0).token(), t.token());
      assertEquals(t.top().get(0).logprob(), t.logprob().getAsDouble(), 1e-12);
      assertTrue(t.textOffset() >= PROMPT.length());
    }
    assertEquals(PROMPT.length(), generated.get(0).textOffset());
  }

  @Test
  void cancellationStopsQuicklyAndReportsTokensSoFar() throws Exception {
    CollectingSink sink = new CollectingSink();
    Generation g =
        engine.generate(
            request(new Prompt.Text(PROMPT), OptionalInt.empty(), SamplingParams.greedy()), sink);
    sink.firstDelta.get(10, java.util.concurrent.TimeUnit.SECONDS);
    long start = System.nanoTime();
    g.cancel();
    Usage usage = sink.await(Duration.ofSeconds(5));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(millis < 1000, "cancelled within " + millis + " ms");
    assertEquals(FinishReason.CANCELLED, sink.finishes.get(0));
    assertTrue(usage.completionTokens() > 0);
    assertTrue(usage.completionTokens() < engine.info().contextLength() - usage.promptTokens());
    assertEquals(sink.tokens(0).size(), usage.completionTokens());
    g.cancel(); // no effect once completed
    assertEquals(1, sink.completeCalls);
  }

  @Test
  void concurrentRequestsShareDecodeSteps() {
    int tokens = 48;
    LlamaEngine.Stats before = engine.stats();
    List<CollectingSink> sinks = new ArrayList<>();
    String[] prompts = {"Once upon a time", "The cat", "Tom and Sue", "One day, a bird"};
    for (String p : prompts) {
      CollectingSink sink = new CollectingSink();
      engine.generate(greedy(p, tokens), sink);
      sinks.add(sink);
    }
    int total = 0;
    for (CollectingSink sink : sinks) {
      total += sink.await().completionTokens();
    }
    LlamaEngine.Stats after = engine.stats();
    long steps = after.decodeSteps() - before.decodeSteps();
    assertEquals(4 * tokens, total);
    assertEquals(4, after.maxGeneratingPerStep());
    // one request at a time would need 4 x 48 = 192 steps; requests that arrive while others run
    // join the batch
    assertTrue(steps < 2 * tokens, "4 x " + tokens + " tokens took " + steps + " decode steps");
    // batched output equals unbatched output
    assertEquals(run(greedy(prompts[2], tokens)).text(0), sinks.get(2).text(0));
  }

  @Test
  void contextOverflowIsRejectedBeforeQueueing() {
    int ctx = engine.info().contextLength();
    int promptLength = engine.tokenize(PROMPT, true).length;
    var e =
        assertThrows(
            ContextLengthExceededException.class,
            () -> engine.generate(greedy(PROMPT, ctx), new CollectingSink()));
    assertEquals(
        "This model's maximum context length is "
            + ctx
            + " tokens. However, you requested "
            + (ctx + promptLength)
            + " tokens ("
            + promptLength
            + " in your prompt; "
            + ctx
            + " for the completion). Please reduce your prompt; or completion length.",
        e.getMessage());
    assertEquals(Optional.of("prompt"), e.param());
    var chat =
        assertThrows(
            ContextLengthExceededException.class,
            () ->
                engine.generate(
                    request(
                        new Prompt.Chat(List.of(new ChatMessage("user", "hi"))),
                        OptionalInt.of(ctx),
                        SamplingParams.greedy()),
                    new CollectingSink()));
    assertEquals(Optional.of("messages"), chat.param());
    // exactly filling the context is allowed
    CollectingSink sink = new CollectingSink();
    engine.generate(greedy(PROMPT, ctx - promptLength), sink).cancel();
    sink.await();
  }

  @Test
  void invalidParametersAreRejected() {
    var suffix =
        assertThrows(
            InvalidGenerationRequestException.class,
            () ->
                engine.generate(
                    request(
                        new Prompt.Text("def f(", Optional.of("return x")),
                        OptionalInt.of(4),
                        SamplingParams.greedy()),
                    new CollectingSink()));
    assertEquals("suffix is not supported for this model", suffix.getMessage());
    assertEquals(Optional.of("suffix"), suffix.param());

    var bestOf =
        assertThrows(
            InvalidGenerationRequestException.class,
            () ->
                engine.generate(
                    with(
                        greedy(PROMPT, 4),
                        2,
                        1,
                        List.of(),
                        SamplingParams.greedy(),
                        OptionalInt.empty(),
                        false),
                    new CollectingSink()));
    assertEquals(Optional.of("best_of"), bestOf.param());

    var bias =
        assertThrows(
            InvalidGenerationRequestException.class,
            () ->
                engine.generate(
                    request(
                        new Prompt.Text(PROMPT),
                        OptionalInt.of(4),
                        new SamplingParams(0, 1, 0, 0, Map.of(512, 1.0), OptionalLong.empty())),
                    new CollectingSink()));
    assertEquals(Optional.of("logit_bias"), bias.param());

    var stops =
        assertThrows(
            InvalidGenerationRequestException.class,
            () ->
                engine.generate(
                    with(
                        greedy(PROMPT, 4),
                        1,
                        1,
                        List.of("a", "b", "c", "d", "e"),
                        SamplingParams.greedy(),
                        OptionalInt.empty(),
                        false),
                    new CollectingSink()));
    assertEquals(Optional.of("stop"), stops.param());

    var logprobs =
        assertThrows(
            InvalidGenerationRequestException.class,
            () ->
                engine.generate(
                    with(
                        greedy(PROMPT, 4),
                        1,
                        1,
                        List.of(),
                        SamplingParams.greedy(),
                        OptionalInt.of(21),
                        false),
                    new CollectingSink()));
    assertEquals(Optional.of("logprobs"), logprobs.param());

    var tokens =
        assertThrows(
            InvalidGenerationRequestException.class,
            () ->
                engine.generate(
                    request(
                        new Prompt.Tokens(new int[] {1, 9999}),
                        OptionalInt.of(4),
                        SamplingParams.greedy()),
                    new CollectingSink()));
    assertEquals(Optional.of("prompt"), tokens.param());
  }
}
