package io.parley.inference.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.parley.common.grpc.GrpcErrors;
import io.parley.inference.application.ModelRegistry;
import io.parley.inference.application.ModelSpec;
import io.parley.inference.infrastructure.llama.LlamaEngine;
import io.parley.inference.infrastructure.llama.LlamaEngineConfig;
import io.parley.inference.v1.FinishReason;
import io.parley.inference.v1.GenerateChunk;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.GetModelRequest;
import io.parley.inference.v1.InferenceServiceGrpc;
import io.parley.inference.v1.ListModelsRequest;
import io.parley.inference.v1.SamplingParams;
import io.parley.inference.v1.TextPrompt;
import io.parley.inference.v1.TokenizeRequest;
import io.parley.testing.TestModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gRPC edge over the real engine and model, through an in-process channel and real stubs. */
class InferenceGrpcServiceTest {

  static ModelRegistry registry;
  static Server server;
  static ManagedChannel channel;
  static InferenceServiceGrpc.InferenceServiceBlockingStub stub;

  @BeforeAll
  static void start() throws Exception {
    var spec =
        new ModelSpec(
            "stories260k",
            "llama",
            Optional.of(TestModels.stories260k()),
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            "stories260k",
            Optional.empty(),
            0,
            "parley");
    registry =
        new ModelRegistry(
            List.of(spec),
            s ->
                LlamaEngine.load(
                    LlamaEngineConfig.of(s.id(), s.path().orElseThrow())
                        .withThreads(2)
                        .withSlots(4)
                        .withCtxPerSlot(512)));
    registry.loadAll();
    var name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .addService(new InferenceGrpcService(registry))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
    stub = InferenceServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() {
    channel.shutdownNow();
    server.shutdownNow();
    registry.close();
  }

  static GenerateRequest.Builder request(int maxTokens) {
    return GenerateRequest.newBuilder()
        .setModel("stories260k")
        .setRequestId("req-1")
        .setOrganization("org-test")
        .setText(TextPrompt.newBuilder().setText("Once upon a time"))
        .setMaxTokens(maxTokens)
        .setN(1)
        .setSampling(SamplingParams.newBuilder().setTemperature(0).setTopP(1));
  }

  @Test
  void listModels_showsTheLoadedModelWithItsEngine() {
    var models = stub.listModels(ListModelsRequest.getDefaultInstance()).getModelsList();
    assertThat(models).hasSize(1);
    assertThat(models.get(0).getId()).isEqualTo("stories260k");
    assertThat(models.get(0).getEngine()).isEqualTo("llama");
    assertThat(models.get(0).getContextLength()).isEqualTo(512);
  }

  @Test
  void getModel_unknown_isNotFoundWithReason() {
    assertThatThrownBy(() -> stub.getModel(GetModelRequest.newBuilder().setModel("nope").build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              var error = GrpcErrors.parse(e);
              assertThat(error.code()).isEqualTo(Status.Code.NOT_FOUND);
              assertThat(error.reason()).isEqualTo("model_not_found");
              assertThat(error.param()).contains("model");
            });
  }

  @Test
  void streamGenerate_sendsDeltasThenFinishThenUsage_matchingUnaryGenerate() {
    var chunks = new ArrayList<GenerateChunk>();
    stub.streamGenerate(request(12).build()).forEachRemaining(chunks::add);
    var last = chunks.get(chunks.size() - 1);
    assertThat(last.hasUsage()).isTrue();
    assertThat(last.getUsage().getCompletionTokens()).isEqualTo(12);
    assertThat(chunks.get(chunks.size() - 2).getFinishReason())
        .isEqualTo(FinishReason.FINISH_REASON_LENGTH);
    var streamed = new StringBuilder();
    chunks.forEach(c -> streamed.append(c.getText()));

    var whole = stub.generate(request(12).build());
    assertThat(whole.getChoices(0).getText()).isEqualTo(streamed.toString());
    assertThat(whole.getUsage()).isEqualTo(last.getUsage());
  }

  @Test
  void generate_contextOverflow_isInvalidArgumentContextLengthExceeded() {
    assertThatThrownBy(() -> stub.generate(request(10_000).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              var error = GrpcErrors.parse(e);
              assertThat(error.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(error.reason()).isEqualTo("context_length_exceeded");
              assertThat(error.message()).contains("maximum context length is 512 tokens");
            });
  }

  @Test
  void streamGenerate_bestOfAboveN_isRefused() {
    assertThatThrownBy(() -> stub.streamGenerate(request(3).setBestOf(2).build()).hasNext())
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(GrpcErrors.parse(e).param()).contains("best_of"));
  }

  @Test
  void tokenize_countsMatchGenerationUsage() {
    var tokens =
        stub.tokenize(
                TokenizeRequest.newBuilder()
                    .setModel("stories260k")
                    .setText("Once upon a time")
                    .setAddSpecial(true)
                    .build())
            .getTokensCount();
    var usage = stub.generate(request(2).build()).getUsage();
    assertThat(usage.getPromptTokens()).isEqualTo(tokens);
  }

  @Test
  void cancelledStream_stopsAndFreesItsSlot() throws Exception {
    var async = InferenceServiceGrpc.newStub(channel);
    var context = io.grpc.Context.current().withCancellation();
    var received = new java.util.concurrent.atomic.AtomicInteger();
    context.run(
        () ->
            async.streamGenerate(
                request(400).build(),
                new io.grpc.stub.StreamObserver<>() {
                  @Override
                  public void onNext(GenerateChunk value) {
                    if (received.incrementAndGet() == 3) {
                      context.cancel(null);
                    }
                  }

                  @Override
                  public void onError(Throwable t) {}

                  @Override
                  public void onCompleted() {}
                }));
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (received.get() < 3 && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(received.get()).isGreaterThanOrEqualTo(3);
    Thread.sleep(100);
    int atCancel = received.get();
    Thread.sleep(300);
    assertThat(received.get()).isEqualTo(atCancel).isLessThan(50);
    // the slot is free again: four parallel requests still run
    var results = new ArrayList<java.util.concurrent.CompletableFuture<Integer>>();
    for (int i = 0; i < 4; i++) {
      results.add(
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> stub.generate(request(5).build()).getUsage().getCompletionTokens()));
    }
    for (var r : results) {
      assertThat(r.get(30, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(5);
    }
  }

  @Test
  void stoppableStream_stop_finishesCancelledAndReportsWhatWasGenerated() throws Exception {
    var async = InferenceServiceGrpc.newStub(channel);
    var chunks = new java.util.concurrent.LinkedBlockingQueue<GenerateChunk>();
    var done = new java.util.concurrent.CountDownLatch(1);
    var requests =
        async.stoppableStreamGenerate(
            new io.grpc.stub.StreamObserver<>() {
              @Override
              public void onNext(GenerateChunk value) {
                chunks.add(value);
              }

              @Override
              public void onError(Throwable t) {
                done.countDown();
              }

              @Override
              public void onCompleted() {
                done.countDown();
              }
            });
    requests.onNext(
        io.parley.inference.v1.StoppableGenerateRequest.newBuilder()
            .setStart(
                request(400)
                    .setSampling(
                        SamplingParams.newBuilder()
                            .setTemperature(0)
                            .setTopP(1)
                            .putLogitBias(2, -100)))
            .build());
    for (int i = 0; i < 3; i++) {
      assertThat(chunks.poll(10, java.util.concurrent.TimeUnit.SECONDS)).isNotNull();
    }
    requests.onNext(
        io.parley.inference.v1.StoppableGenerateRequest.newBuilder()
            .setStop(io.parley.inference.v1.StopGeneration.getDefaultInstance())
            .build());
    requests.onCompleted();
    assertThat(done.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    var all = new ArrayList<GenerateChunk>(chunks);
    var last = all.get(all.size() - 1);
    assertThat(last.hasUsage()).isTrue();
    assertThat(all.get(all.size() - 2).getFinishReason())
        .isEqualTo(FinishReason.FINISH_REASON_CANCELLED);
    int textChunks = (int) all.stream().filter(c -> !c.getText().isEmpty()).count() + 3;
    assertThat(last.getUsage().getCompletionTokens()).isGreaterThanOrEqualTo(3).isLessThan(400);
    assertThat(last.getUsage().getCompletionTokens()).isGreaterThanOrEqualTo(textChunks - 3);
  }
}
