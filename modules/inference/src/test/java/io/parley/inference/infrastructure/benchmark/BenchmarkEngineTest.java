package io.parley.inference.infrastructure.benchmark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.inference.domain.ContextLengthExceededException;
import io.parley.inference.domain.FinishReason;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.InferenceException;
import io.parley.inference.domain.Prompt;
import io.parley.inference.domain.SamplingParams;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.Usage;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The benchmark engine answers exactly what it promises: a fixed stream, counted right. */
class BenchmarkEngineTest {

  private final BenchmarkEngine engine = new BenchmarkEngine("zero", "parley", 0, 64);

  private static GenerationRequest request(String prompt, int maxTokens, int n) {
    return new GenerationRequest(
        "req-1",
        "org-test",
        new Prompt.Text(prompt),
        OptionalInt.of(maxTokens),
        n,
        n,
        List.of(),
        new SamplingParams(1.0, 1.0, 0, 0, Map.of(), java.util.OptionalLong.empty()),
        OptionalInt.empty(),
        false);
  }

  /** Collects text per choice and the usage. */
  static final class Collecting implements GenerationSink {
    final Map<Integer, StringBuilder> text = new ConcurrentHashMap<>();
    final Map<Integer, FinishReason> finish = new ConcurrentHashMap<>();
    final CompletableFuture<Usage> usage = new CompletableFuture<>();

    @Override
    public void onEcho(int index, String promptText, List<TokenLogprob> promptTokens) {}

    @Override
    public void onDelta(int index, String delta, List<TokenLogprob> tokens) {
      assertThat(tokens).hasSize(1);
      text.computeIfAbsent(index, i -> new StringBuilder()).append(delta);
    }

    @Override
    public void onFinish(int index, FinishReason reason) {
      finish.put(index, reason);
    }

    @Override
    public void onComplete(Usage counted) {
      usage.complete(counted);
    }

    @Override
    public void onError(InferenceException error) {
      usage.completeExceptionally(error);
    }
  }

  @Test
  void generate_sendsMaxTokensPerChoice_andCountsThem() throws Exception {
    var sink = new Collecting();
    engine.generate(request("Hello", 5, 2), sink);

    var usage = sink.usage.get(5, TimeUnit.SECONDS);
    assertThat(usage).isEqualTo(new Usage(5, 10));
    assertThat(sink.text.get(0)).hasToString(BenchmarkEngine.TOKEN_TEXT.repeat(5));
    assertThat(sink.text.get(1)).hasToString(BenchmarkEngine.TOKEN_TEXT.repeat(5));
    assertThat(sink.finish)
        .containsEntry(0, FinishReason.LENGTH)
        .containsEntry(1, FinishReason.LENGTH);
  }

  @Test
  void generate_pastTheContext_isRefusedAtOnce() {
    assertThatThrownBy(() -> engine.generate(request("Hello", 60, 1), new Collecting()))
        .isInstanceOf(ContextLengthExceededException.class);
  }

  @Test
  void tokenize_isOneTokenPerByte_andDetokenizeReversesIt() {
    var tokens = engine.tokenize("héllo", true);
    assertThat(tokens).hasSize(6);
    assertThat(engine.detokenize(tokens)).isEqualTo("héllo");
  }
}
