package io.parley.inference.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import io.parley.inference.application.ModelRegistry;
import io.parley.inference.application.ModelSpec;
import io.parley.inference.domain.ChatMessage;
import io.parley.inference.domain.FinishReason;
import io.parley.inference.domain.Generation;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.ModelInfo;
import io.parley.inference.domain.TextEngine;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.Usage;
import io.parley.inference.infrastructure.benchmark.BenchmarkEngine;
import io.parley.inference.v1.GenerateChunk;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.InferenceServiceGrpc;
import io.parley.inference.v1.TextPrompt;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The streaming edge keeps up with a fast engine: a reader that falls behind gets the same text and
 * token counts in fewer, larger chunks; a reader that keeps up gets one token per chunk.
 */
class StreamCoalescingTest {

  static ModelRegistry registry;
  static Server server;
  static ManagedChannel channel;

  @BeforeAll
  static void start() throws Exception {
    registry =
        new ModelRegistry(
            List.of(spec("bench"), spec("lockstep")),
            s ->
                s.id().equals("bench")
                    ? new Completing(new BenchmarkEngine("bench", "parley", 0, 4096))
                    : new LockstepEngine());
    registry.loadAll();
    var name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .addService(new InferenceGrpcService(registry))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.shutdownNow();
    registry.close();
  }

  static ModelSpec spec(String id) {
    return new ModelSpec(
        id,
        "benchmark",
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        id,
        Optional.empty(),
        4096,
        "parley");
  }

  static GenerateRequest request(String model, int maxTokens, int n) {
    return GenerateRequest.newBuilder()
        .setModel(model)
        .setRequestId("req-1")
        .setOrganization("org-test")
        .setText(TextPrompt.newBuilder().setText("Once upon a time"))
        .setMaxTokens(maxTokens)
        .setN(n)
        .setLogprobs(0)
        .build();
  }

  @Test
  void readerThatFallsBehind_getsFewerLargerChunks_withAllTextTokensAndFinishInOrder()
      throws Exception {
    var chunks = new CopyOnWriteArrayList<GenerateChunk>();
    var done = new CompletableFuture<Void>();
    var call = new CompletableFuture<ClientCallStreamObserver<?>>();
    InferenceServiceGrpc.newStub(channel)
        .streamGenerate(
            request("bench", 200, 2),
            new ClientResponseObserver<GenerateRequest, GenerateChunk>() {
              @Override
              public void beforeStart(ClientCallStreamObserver<GenerateRequest> stream) {
                // Reads nothing until told: the server sees a transport that is not ready.
                stream.disableAutoRequestWithInitial(0);
                call.complete(stream);
              }

              @Override
              public void onNext(GenerateChunk chunk) {
                chunks.add(chunk);
              }

              @Override
              public void onError(Throwable t) {
                done.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                done.complete(null);
              }
            });
    // The engine runs to its end while the reader reads nothing, then the reader catches up.
    assertThat(Completing.completed.tryAcquire(10, TimeUnit.SECONDS)).isTrue();
    call.get(5, TimeUnit.SECONDS).request(Integer.MAX_VALUE);
    done.get(10, TimeUnit.SECONDS);

    assertThat(chunks.size()).isLessThan(10);
    for (int index = 0; index < 2; index++) {
      int i = index;
      var text = new StringBuilder();
      int tokens = 0;
      for (var chunk : chunks) {
        if (chunk.getIndex() == i && !chunk.hasUsage()) {
          text.append(chunk.getText());
          tokens += chunk.getLogprobsCount();
          chunk.getLogprobsList().forEach(t -> assertThat(t.hasLogprob()).isTrue());
        }
      }
      assertThat(text.toString()).isEqualTo(BenchmarkEngine.TOKEN_TEXT.repeat(200));
      assertThat(tokens).isEqualTo(200);
      var last = chunks.stream().filter(c -> c.getIndex() == i && !c.hasUsage()).toList();
      assertThat(last.getLast().getFinishReason())
          .isEqualTo(io.parley.inference.v1.FinishReason.FINISH_REASON_LENGTH);
    }
    var usage = chunks.getLast();
    assertThat(usage.hasUsage()).isTrue();
    assertThat(usage.getUsage().getCompletionTokens()).isEqualTo(400);
  }

  @Test
  void readerThatKeepsUp_getsOneTokenPerChunk() throws Exception {
    var chunks = new CopyOnWriteArrayList<GenerateChunk>();
    var done = new CompletableFuture<Void>();
    InferenceServiceGrpc.newStub(channel)
        .streamGenerate(
            request("lockstep", 30, 1),
            new StreamObserver<>() {
              @Override
              public void onNext(GenerateChunk chunk) {
                chunks.add(chunk);
                LockstepEngine.received.release();
              }

              @Override
              public void onError(Throwable t) {
                done.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                done.complete(null);
              }
            });
    done.get(10, TimeUnit.SECONDS);

    var text = chunks.stream().filter(c -> !c.getText().isEmpty()).toList();
    assertThat(text).hasSize(30);
    assertThat(text).allSatisfy(c -> assertThat(c.getLogprobsCount()).isEqualTo(1));
    assertThat(chunks.getLast().getUsage().getCompletionTokens()).isEqualTo(30);
  }

  /** An engine that tells when a generation has reported its usage (its last call). */
  record Completing(TextEngine engine) implements TextEngine {
    static final Semaphore completed = new Semaphore(0);

    @Override
    public ModelInfo info() {
      return engine.info();
    }

    @Override
    public int[] tokenize(String text, boolean addSpecial) {
      return engine.tokenize(text, addSpecial);
    }

    @Override
    public String detokenize(int[] tokens) {
      return engine.detokenize(tokens);
    }

    @Override
    public String renderChat(List<ChatMessage> messages) {
      return engine.renderChat(messages);
    }

    @Override
    public Generation generate(GenerationRequest request, GenerationSink sink) {
      return engine.generate(
          request,
          new GenerationSink() {
            @Override
            public void onEcho(int index, String promptText, List<TokenLogprob> promptTokens) {
              sink.onEcho(index, promptText, promptTokens);
            }

            @Override
            public void onDelta(int index, String text, List<TokenLogprob> tokens) {
              sink.onDelta(index, text, tokens);
            }

            @Override
            public void onFinish(int index, FinishReason reason) {
              sink.onFinish(index, reason);
            }

            @Override
            public void onComplete(Usage usage) {
              sink.onComplete(usage);
              completed.release();
            }

            @Override
            public void onError(io.parley.inference.domain.InferenceException error) {
              sink.onError(error);
            }
          });
    }

    @Override
    public void close() {
      engine.close();
    }
  }

  /**
   * Emits a token only after the reader received the previous chunk: a reader that always keeps up.
   */
  static final class LockstepEngine implements TextEngine {
    static final Semaphore received = new Semaphore(0);

    @Override
    public ModelInfo info() {
      return new ModelInfo("lockstep", "parley", 0, 4096, 256, false);
    }

    @Override
    public int[] tokenize(String text, boolean addSpecial) {
      return new int[text.length()];
    }

    @Override
    public String detokenize(int[] tokens) {
      return "";
    }

    @Override
    public String renderChat(List<ChatMessage> messages) {
      return "";
    }

    @Override
    public Generation generate(GenerationRequest request, GenerationSink sink) {
      received.drainPermits();
      Thread.ofVirtual()
          .start(
              () -> {
                int max = request.maxTokens().orElseThrow();
                try {
                  for (int i = 0; i < max; i++) {
                    if (i > 0 && !received.tryAcquire(5, TimeUnit.SECONDS)) {
                      throw new IllegalStateException("reader stalled");
                    }
                    sink.onDelta(
                        0,
                        "t",
                        List.of(
                            new TokenLogprob(
                                1, "t", new byte[] {'t'}, OptionalDouble.empty(), List.of(), i)));
                  }
                  received.tryAcquire(5, TimeUnit.SECONDS);
                  sink.onFinish(0, FinishReason.LENGTH);
                  sink.onComplete(new Usage(1, max));
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              });
      return () -> {};
    }

    @Override
    public void close() {}
  }
}
