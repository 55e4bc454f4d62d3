package io.parley.inference.infrastructure.llama;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.parley.inference.domain.EngineFailureException;
import io.parley.inference.domain.EngineOverloadedException;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.Prompt;
import io.parley.inference.domain.SamplingParams;
import io.parley.inference.domain.Usage;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Admission queue, fairness and shutdown, on single-slot engines. */
class LlamaEngineSchedulingTest {

  private static LlamaEngine singleSlot(int queueCapacity, Duration maxWait) {
    return LlamaEngine.load(TestModels.config(1).withQueue(queueCapacity, maxWait));
  }

  private static GenerationRequest request(String id, String org, OptionalInt maxTokens) {
    return new GenerationRequest(
        id,
        org,
        new Prompt.Text("Once upon a time"),
        maxTokens,
        1,
        1,
        List.of(),
        SamplingParams.greedy(),
        OptionalInt.empty(),
        false);
  }

  /**
   * Starts a request that runs until cancelled (up to the end of the context) and waits until it
   * generates.
   */
  private static io.parley.inference.domain.Generation blocker(
      LlamaEngine engine, CollectingSink sink) throws Exception {
    var generation = engine.generate(request("blocker", "x", OptionalInt.empty()), sink);
    sink.firstDelta.get(10, TimeUnit.SECONDS);
    return generation;
  }

  @Test
  void organizationsAreAdmittedRoundRobin() throws Exception {
    try (LlamaEngine engine = singleSlot(8, Duration.ofSeconds(30))) {
      CollectingSink blockerSink = new CollectingSink();
      var blocker = blocker(engine, blockerSink);
      List<String> order = new CopyOnWriteArrayList<>();
      List<CollectingSink> sinks = new java.util.ArrayList<>();
      for (String[] r : new String[][] {{"a1", "a"}, {"a2", "a"}, {"a3", "a"}, {"b1", "b"}}) {
        CollectingSink sink =
            new CollectingSink() {
              @Override
              public void onComplete(Usage usage) {
                order.add(r[0]);
                super.onComplete(usage);
              }
            };
        engine.generate(request(r[0], r[1], OptionalInt.of(3)), sink);
        sinks.add(sink);
      }
      blocker.cancel();
      blockerSink.await();
      sinks.forEach(CollectingSink::await);
      assertEquals(List.of("a1", "b1", "a2", "a3"), order);
    }
  }

  @Test
  void fullQueueIsRejectedSynchronously() throws Exception {
    try (LlamaEngine engine = singleSlot(1, Duration.ofSeconds(30))) {
      CollectingSink blockerSink = new CollectingSink();
      var blocker = blocker(engine, blockerSink);
      CollectingSink queued = new CollectingSink();
      engine.generate(request("q1", "a", OptionalInt.of(2)), queued);
      assertThrows(
          EngineOverloadedException.class,
          () -> engine.generate(request("q2", "a", OptionalInt.of(2)), new CollectingSink()));
      blocker.cancel();
      assertEquals(2, queued.await().completionTokens());
    }
  }

  @Test
  void waitingTooLongFailsAsOverloaded() throws Exception {
    try (LlamaEngine engine = singleSlot(4, Duration.ofMillis(100))) {
      CollectingSink blockerSink = new CollectingSink();
      var blocker = blocker(engine, blockerSink);
      CollectingSink queued = new CollectingSink();
      engine.generate(request("q1", "a", OptionalInt.of(2)), queued);
      ExecutionException e =
          assertThrows(ExecutionException.class, () -> queued.completion.get(10, TimeUnit.SECONDS));
      assertInstanceOf(EngineOverloadedException.class, e.getCause());
      assertEquals(1, queued.errorCalls);
      assertEquals(0, queued.completeCalls);
      blocker.cancel();
      blockerSink.await();
    }
  }

  @Test
  void cancellingAQueuedRequestReportsNoCompletionTokens() throws Exception {
    try (LlamaEngine engine = singleSlot(4, Duration.ofSeconds(30))) {
      CollectingSink blockerSink = new CollectingSink();
      var blocker = blocker(engine, blockerSink);
      CollectingSink queued = new CollectingSink();
      engine.generate(request("q1", "a", OptionalInt.of(2)), queued).cancel();
      assertEquals(0, queued.await().completionTokens());
      assertEquals(io.parley.inference.domain.FinishReason.CANCELLED, queued.finishes.get(0));
      blocker.cancel();
      blockerSink.await();
    }
  }

  @Test
  void closeFailsRunningGenerationsAndStopsTheThread() throws Exception {
    LlamaEngine engine = singleSlot(4, Duration.ofSeconds(30));
    CollectingSink running = new CollectingSink();
    blocker(engine, running);
    CollectingSink queued = new CollectingSink();
    engine.generate(request("q1", "a", OptionalInt.of(2)), queued);
    engine.close();
    ExecutionException e =
        assertThrows(ExecutionException.class, () -> running.completion.get(5, TimeUnit.SECONDS));
    assertInstanceOf(EngineFailureException.class, e.getCause());
    assertThrows(ExecutionException.class, () -> queued.completion.get(5, TimeUnit.SECONDS));
    assertFalse(
        Thread.getAllStackTraces().keySet().stream()
            .anyMatch(t -> t.getName().startsWith("llama-decode-") && t.isAlive()),
        "no decode thread survives close()");
    assertThrows(EngineFailureException.class, () -> engine.tokenize("x", true));
    assertThrows(
        EngineFailureException.class,
        () -> engine.generate(request("late", "a", OptionalInt.of(1)), new CollectingSink()));
    engine.close(); // idempotent
    assertTrue(running.errorCalls == 1 && running.completeCalls == 0);
  }

  @Test
  void longPromptsAreEvaluatedInChunksWithTheSameResult() {
    String prompt =
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the park."
            + " One day, she saw a big, red ball. She wanted to play with it, but it was too high. Lily's mom"
            + " said, \"Lily, let's go to the park.\"";
    GenerationRequest request =
        new GenerationRequest(
            "long",
            "a",
            new Prompt.Text(prompt),
            OptionalInt.of(20),
            1,
            1,
            List.of(),
            SamplingParams.greedy(),
            OptionalInt.of(1),
            true);
    CollectingSink whole = new CollectingSink();
    CollectingSink chunked = new CollectingSink();
    CollectingSink concurrent = new CollectingSink();
    try (LlamaEngine big = LlamaEngine.load(TestModels.config(2));
        LlamaEngine small = LlamaEngine.load(TestModels.config(2).withBatchSize(8))) {
      assertTrue(small.tokenize(prompt, true).length > 4 * 8, "prompt spans several batches");
      big.generate(request, whole);
      whole.await();
      small.generate(request("other", "b", OptionalInt.of(40)), concurrent);
      small.generate(request, chunked);
      chunked.await();
      concurrent.await();
      assertEquals(
          small.stats().promptTokensEvaluated(),
          small.tokenize(prompt, true).length + small.tokenize("Once upon a time", true).length);
    }
    assertEquals(whole.text(0), chunked.text(0));
    var a = whole.echoTokens.get(0);
    var b = chunked.echoTokens.get(0);
    assertEquals(a.size(), b.size());
    for (int i = 1; i < a.size(); i++) {
      assertEquals(
          a.get(i).logprob().getAsDouble(),
          b.get(i).logprob().getAsDouble(),
          1e-3,
          "prompt token " + i);
    }
  }
}
