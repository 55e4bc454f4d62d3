package io.parley.inference.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.parley.inference.domain.EngineFailureException;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.InferenceException;
import io.parley.inference.domain.ModelNotFoundException;
import io.parley.inference.domain.ModelRegistryUnavailableException;
import io.parley.inference.domain.Prompt;
import io.parley.inference.domain.SamplingParams;
import io.parley.inference.domain.TextEngine;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.Usage;
import io.parley.inference.infrastructure.files.GrpcFineTunedModelSource;
import io.parley.inference.infrastructure.llama.LlamaAdapterLoader;
import io.parley.inference.infrastructure.llama.LlamaEngine;
import io.parley.inference.infrastructure.llama.LlamaEngineConfig;
import io.parley.testing.TestAdapters;
import io.parley.testing.TestFineTunedModelRegistry;
import io.parley.testing.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The adapter cache over a real llama base engine and a real (in-process) gRPC registry: adapters
 * are fetched once, checked against their SHA-256, unloaded when idle or over budget, and only
 * served to their organization.
 */
class FineTunedEnginesTest {

  private static final String BASE = "stories260k";
  private static final String MODEL = "ft:stories260k:org-a:sfx:ftjob-1";
  private static final String OTHER = "ft:stories260k:org-a:other:ftjob-2";
  private static final String PROMPT = "Once upon a time";

  private static LlamaEngine base;
  private static Path adapterDir;
  private static Path adapter;
  private static Path otherAdapter;

  @TempDir Path cacheDir;

  private TestFineTunedModelRegistry registry;
  private Server server;
  private ManagedChannel channel;
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private FineTunedEngines engines;

  @BeforeAll
  static void loadBase() throws IOException {
    base =
        LlamaEngine.load(
            new LlamaEngineConfig(
                BASE,
                TestModels.stories260k(),
                2,
                256,
                1,
                64,
                16,
                Duration.ofSeconds(30),
                Optional.empty()));
    adapterDir = Files.createTempDirectory("adapters");
    adapter = TestAdapters.write(adapterDir.resolve("a.gguf"), 1, 0.5);
    otherAdapter = TestAdapters.write(adapterDir.resolve("b.gguf"), 2, 0.5);
  }

  @AfterAll
  static void closeBase() throws IOException {
    base.close();
    Files.deleteIfExists(adapter);
    Files.deleteIfExists(otherAdapter);
    Files.deleteIfExists(adapterDir);
  }

  @BeforeEach
  void start() throws IOException {
    registry = new TestFineTunedModelRegistry(1000);
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(registry).build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (engines != null) {
      engines.close();
    }
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  private FineTunedEngines engines(int maxLoaded, long maxAdapterBytes) {
    return engines(maxLoaded, maxAdapterBytes, Duration.ofSeconds(5));
  }

  private FineTunedEngines engines(int maxLoaded, long maxAdapterBytes, Duration lookupDeadline) {
    engines =
        new FineTunedEngines(
            new GrpcFineTunedModelSource(channel, lookupDeadline, Duration.ofSeconds(30)),
            new LlamaAdapterLoader(1),
            id -> id.equals(BASE) ? Optional.of(base) : Optional.empty(),
            new AdapterPolicy(
                cacheDir,
                maxAdapterBytes,
                maxLoaded,
                1L << 30,
                Duration.ofMinutes(10),
                Duration.ofSeconds(5),
                1),
            now::get);
    return engines;
  }

  @Test
  void fineTunedModel_answersDifferentlyFromTheBase_andIsFetchedOnce() {
    registry.register(MODEL, "org-a", BASE, adapter);
    var engines = engines(4, 1 << 20);

    String baseText = run(base, "org-a");
    String first = run(engines, "org-a", MODEL);
    String second = run(engines, "org-a", MODEL);

    assertThat(first).isNotEqualTo(baseText).isEqualTo(second);
    assertThat(registry.contentCalls()).isEqualTo(1);
    assertThat(run(base, "org-a")).isEqualTo(baseText);
  }

  @Test
  void adapterNotMatchingItsSha256_isRejected_andNothingIsKept() throws IOException {
    registry.register(MODEL, "org-a", BASE, adapter, "0".repeat(64), Files.size(adapter));
    var engines = engines(4, 1 << 20);

    assertThatThrownBy(() -> run(engines, "org-a", MODEL))
        .isInstanceOf(EngineFailureException.class)
        .hasMessageContaining("sha256");
    assertThat(engines.loadedCount()).isZero();
    try (var files = Files.list(cacheDir)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void adapterLargerThanAllowed_isRefusedBeforeItsContentIsRead() {
    registry.register(MODEL, "org-a", BASE, adapter);
    var engines = engines(4, 1000);

    assertThatThrownBy(() -> run(engines, "org-a", MODEL))
        .isInstanceOf(EngineFailureException.class)
        .hasMessageContaining("takes adapters of 1 to 1000");
    assertThat(registry.contentCalls()).isZero();
  }

  @Test
  void registryDown_isRegistryUnavailable_notAnEngineFailure() throws InterruptedException {
    registry.register(MODEL, "org-a", BASE, adapter);
    var engines = engines(4, 1 << 20, Duration.ofMillis(300));
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);

    assertThatThrownBy(() -> run(engines, "org-a", MODEL))
        .isInstanceOf(ModelRegistryUnavailableException.class)
        .hasMessageContaining("registry is unavailable")
        .extracting(e -> ((InferenceException) e).reason())
        .isEqualTo("service_unavailable");
    assertThat(engines.loadedCount()).isZero();
  }

  @Test
  void anotherOrganizationsModel_isNotFound_withoutFetchingIt() {
    registry.register(MODEL, "org-a", BASE, adapter);
    var engines = engines(4, 1 << 20);

    assertThatThrownBy(() -> run(engines, "org-b", MODEL))
        .isInstanceOf(ModelNotFoundException.class);
    assertThat(registry.contentCalls()).isZero();
  }

  @Test
  void idleAdapter_isUnloaded_andFetchedAgainOnNextUse() {
    registry.register(MODEL, "org-a", BASE, adapter);
    var engines = engines(4, 1 << 20);
    String first = run(engines, "org-a", MODEL);

    now.addAndGet(Duration.ofMinutes(5).toNanos());
    engines.sweep();
    assertThat(engines.loadedCount()).isEqualTo(1);
    now.addAndGet(Duration.ofMinutes(6).toNanos());
    engines.sweep();
    assertThat(engines.loadedCount()).isZero();

    assertThat(run(engines, "org-a", MODEL)).isEqualTo(first);
    assertThat(registry.contentCalls()).isEqualTo(2);
  }

  @Test
  void overTheCountBudget_theLeastRecentlyUsedAdapterIsUnloaded() {
    registry.register(MODEL, "org-a", BASE, adapter);
    registry.register(OTHER, "org-a", BASE, otherAdapter);
    var engines = engines(1, 1 << 20);

    String one = run(engines, "org-a", MODEL);
    now.addAndGet(1_000_000);
    String two = run(engines, "org-a", OTHER);
    assertThat(engines.loadedCount()).isEqualTo(1);
    assertThat(two).isNotEqualTo(one);

    now.addAndGet(1_000_000);
    assertThat(run(engines, "org-a", MODEL)).isEqualTo(one);
    assertThat(registry.contentCalls()).isEqualTo(3);
  }

  @Test
  void deletedModel_isServedUntilTheLookupExpires_thenNotFound() {
    registry.register(MODEL, "org-a", BASE, adapter);
    var engines = engines(4, 1 << 20);
    run(engines, "org-a", MODEL);

    registry.remove(MODEL);
    run(engines, "org-a", MODEL); // within the 5 s the registry's answer is trusted
    now.addAndGet(Duration.ofSeconds(6).toNanos());

    assertThatThrownBy(() -> run(engines, "org-a", MODEL))
        .isInstanceOf(ModelNotFoundException.class);
  }

  @Test
  void baseRequestsBesideAdapterRequests_keepTheirGreedyAnswers() {
    registry.register(MODEL, "org-a", BASE, adapter);
    var engines = engines(4, 1 << 20);
    String baseText = run(base, "org-a");
    String tuned = run(engines, "org-a", MODEL);

    for (int round = 0; round < 3; round++) {
      var baseSinks = new java.util.ArrayList<Sink>();
      var tunedSinks = new java.util.ArrayList<Sink>();
      for (int i = 0; i < 6; i++) {
        var b = new Sink();
        base.generate(greedy("org-a"), b);
        baseSinks.add(b);
        var t = new Sink();
        engines.generate("org-a", MODEL, greedy("org-a"), t);
        tunedSinks.add(t);
      }
      for (var sink : baseSinks) {
        assertThat(sink.await()).isEqualTo(baseText);
      }
      for (var sink : tunedSinks) {
        assertThat(sink.await()).isEqualTo(tuned);
      }
    }
  }

  private static GenerationRequest greedy(String organization) {
    return new GenerationRequest(
        "test",
        organization,
        new Prompt.Text(PROMPT),
        OptionalInt.of(24),
        1,
        1,
        List.of(),
        SamplingParams.greedy(),
        OptionalInt.empty(),
        false);
  }

  private static String run(TextEngine engine, String organization) {
    var sink = new Sink();
    engine.generate(greedy(organization), sink);
    return sink.await();
  }

  private static String run(FineTunedEngines engines, String organization, String model) {
    var sink = new Sink();
    engines.generate(organization, model, greedy(organization), sink);
    return sink.await();
  }

  /** Collects the text of choice 0. */
  static final class Sink implements GenerationSink {
    private final StringBuilder text = new StringBuilder();
    private final CompletableFuture<String> done = new CompletableFuture<>();

    @Override
    public void onEcho(int index, String promptText, List<TokenLogprob> promptTokens) {}

    @Override
    public synchronized void onDelta(int index, String delta, List<TokenLogprob> tokens) {
      text.append(delta);
    }

    @Override
    public void onFinish(int index, io.parley.inference.domain.FinishReason reason) {}

    @Override
    public synchronized void onComplete(Usage usage) {
      done.complete(text.toString());
    }

    @Override
    public void onError(InferenceException error) {
      done.completeExceptionally(error);
    }

    String await() {
      try {
        return done.get(60, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException e) {
        if (e.getCause() instanceof InferenceException error) {
          throw error;
        }
        throw new AssertionError(e);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
  }
}
