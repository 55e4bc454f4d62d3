package io.parley.inference.infrastructure.llama;

import io.parley.inference.domain.FinishReason;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.InferenceException;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.Usage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/** Records everything a generation reports. */
class CollectingSink implements GenerationSink {

  record Event(
      String kind, int index, String text, List<TokenLogprob> tokens, FinishReason reason) {}

  final List<Event> events = new CopyOnWriteArrayList<>();
  final Map<Integer, StringBuilder> texts = new ConcurrentHashMap<>();
  final Map<Integer, List<TokenLogprob>> tokens = new ConcurrentHashMap<>();
  final Map<Integer, FinishReason> finishes = new ConcurrentHashMap<>();
  final Map<Integer, String> echoTexts = new ConcurrentHashMap<>();
  final Map<Integer, List<TokenLogprob>> echoTokens = new ConcurrentHashMap<>();
  final CompletableFuture<Usage> completion = new CompletableFuture<>();
  final CompletableFuture<Void> firstDelta = new CompletableFuture<>();
  volatile int completeCalls;
  volatile int errorCalls;

  @Override
  public void onEcho(int index, String promptText, List<TokenLogprob> promptTokens) {
    events.add(new Event("echo", index, promptText, promptTokens, null));
    echoTexts.put(index, promptText);
    echoTokens.put(index, promptTokens);
  }

  @Override
  public void onDelta(int index, String text, List<TokenLogprob> list) {
    events.add(new Event("delta", index, text, list, null));
    texts.computeIfAbsent(index, i -> new StringBuilder()).append(text);
    tokens.computeIfAbsent(index, i -> new ArrayList<>()).addAll(list);
    firstDelta.complete(null);
  }

  @Override
  public void onFinish(int index, FinishReason reason) {
    events.add(new Event("finish", index, null, List.of(), reason));
    finishes.put(index, reason);
  }

  @Override
  public void onComplete(Usage usage) {
    completeCalls++;
    completion.complete(usage);
  }

  @Override
  public void onError(InferenceException error) {
    errorCalls++;
    completion.completeExceptionally(error);
  }

  Usage await() {
    return await(Duration.ofSeconds(60));
  }

  Usage await(Duration timeout) {
    try {
      return completion.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new AssertionError("generation did not complete: " + e, e);
    }
  }

  String text(int index) {
    StringBuilder sb = texts.get(index);
    return sb == null ? "" : sb.toString();
  }

  List<TokenLogprob> tokens(int index) {
    return tokens.getOrDefault(index, List.of());
  }
}
