package io.parley.gateway.api.rest;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.parley.common.grpc.GrpcErrors;
import io.parley.common.v1.TokenUsage;
import io.parley.gateway.application.TextGeneration;
import io.parley.gateway.infrastructure.InferenceClient;
import io.parley.inference.v1.Choice;
import io.parley.inference.v1.FinishReason;
import io.parley.inference.v1.GenerateChunk;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.GenerateResponse;
import io.parley.inference.v1.GetModelRequest;
import io.parley.inference.v1.GetModelResponse;
import io.parley.inference.v1.InferenceServiceGrpc;
import io.parley.inference.v1.ListModelsRequest;
import io.parley.inference.v1.ListModelsResponse;
import io.parley.inference.v1.Model;
import io.parley.inference.v1.StoppableGenerateRequest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An inference service for tests, served in-process: one model ({@code stories}); each choice of a
 * generation is the words "Once upon a time" (one chunk per word), streamed or whole, with usage
 * prompt=5, completion=4 per choice. The model {@code slow} streams words until cancelled; the
 * model {@code broken} fails after its first chunk; the model {@code lockstep} streams the words of
 * one choice, each only once the test released {@link #written} for the previous one (a reader that
 * keeps up).
 */
final class ScriptedInference extends InferenceServiceGrpc.InferenceServiceImplBase
    implements AutoCloseable {

  static final List<String> WORDS = List.of("Once", " upon", " a", " time");

  final List<GenerateRequest> requests = new CopyOnWriteArrayList<>();

  /** The drain the generations it wires up register their streams with. */
  final io.parley.gateway.application.Drain drain = new io.parley.gateway.application.Drain();

  final CountDownLatch cancelled = new CountDownLatch(1);
  final java.util.concurrent.Semaphore written = new java.util.concurrent.Semaphore(0);
  private final Server server;
  private final ManagedChannel channel;

  ScriptedInference() throws Exception {
    var name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).addService(this).directExecutor().build().start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  /** The generation use case wired to this service. */
  TextGeneration generation() {
    return new TextGeneration(new InferenceClient(channel, 5_000, 5_000, 1), drain);
  }

  InferenceClient client() {
    return new InferenceClient(channel, 5_000, 5_000, 1);
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Override
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> response) {
    response.onNext(ListModelsResponse.newBuilder().addModels(model()).build());
    response.onCompleted();
  }

  @Override
  public void getModel(GetModelRequest request, StreamObserver<GetModelResponse> response) {
    if (!request.getModel().equals("stories")) {
      response.onError(notFound(request.getModel()));
      return;
    }
    response.onNext(GetModelResponse.newBuilder().setModel(model()).build());
    response.onCompleted();
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> response) {
    requests.add(request);
    if (!knownModel(request, response)) {
      return;
    }
    var result = GenerateResponse.newBuilder();
    for (int i = 0; i < request.getN(); i++) {
      var choice =
          Choice.newBuilder()
              .setIndex(i)
              .setText(String.join("", WORDS))
              .setFinishReason(FinishReason.FINISH_REASON_LENGTH);
      if (request.getEcho()) {
        choice.setEchoText(request.getText().getText());
      }
      result.addChoices(choice);
    }
    response.onNext(result.setUsage(usage(request.getN())).build());
    response.onCompleted();
  }

  @Override
  public void streamGenerate(GenerateRequest request, StreamObserver<GenerateChunk> response) {
    requests.add(request);
    if (!knownModel(request, response)) {
      return;
    }
    var observer = (ServerCallStreamObserver<GenerateChunk>) response;
    if (request.getModel().equals("slow")) {
      observer.setOnCancelHandler(cancelled::countDown);
      new Thread(
              () -> {
                try {
                  while (!observer.isCancelled()) {
                    observer.onNext(GenerateChunk.newBuilder().setText(" and").build());
                    sleep(5);
                  }
                } catch (RuntimeException e) {
                  // cancelled between the check and the write
                }
              })
          .start();
      return;
    }
    if (request.getModel().equals("lockstep")) {
      new Thread(
              () -> {
                try {
                  for (int w = 0; w < WORDS.size(); w++) {
                    if (w > 0 && !written.tryAcquire(5, TimeUnit.SECONDS)) {
                      throw new IllegalStateException("the reader never wrote the last word");
                    }
                    var chunk = GenerateChunk.newBuilder().setText(WORDS.get(w));
                    if (w == WORDS.size() - 1) {
                      chunk.setFinishReason(FinishReason.FINISH_REASON_STOP);
                    }
                    response.onNext(chunk.build());
                  }
                  response.onNext(GenerateChunk.newBuilder().setUsage(usage(1)).build());
                  response.onCompleted();
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              })
          .start();
      return;
    }
    for (int i = 0; i < request.getN(); i++) {
      for (int w = 0; w < WORDS.size(); w++) {
        var chunk = GenerateChunk.newBuilder().setIndex(i).setText(WORDS.get(w));
        if (w == 0 && request.getEcho()) {
          chunk.setEchoText(request.getText().getText());
        }
        if (w == WORDS.size() - 1) {
          chunk.setFinishReason(FinishReason.FINISH_REASON_STOP);
        }
        response.onNext(chunk.build());
        if (request.getModel().equals("broken")) {
          response.onError(Status.INTERNAL.withDescription("engine crashed").asRuntimeException());
          return;
        }
      }
    }
    response.onNext(GenerateChunk.newBuilder().setUsage(usage(request.getN())).build());
    response.onCompleted();
  }

  /**
   * The stoppable variant: the same script; a stop message ends the {@code slow} model's stream
   * with a CANCELLED finish and the usage of the words sent so far, as the real engine does.
   */
  @Override
  public StreamObserver<StoppableGenerateRequest> stoppableStreamGenerate(
      StreamObserver<GenerateChunk> response) {
    var observer = (ServerCallStreamObserver<GenerateChunk>) response;
    var stopped = new java.util.concurrent.atomic.AtomicBoolean();
    observer.setOnCancelHandler(cancelled::countDown);
    return new StreamObserver<>() {
      @Override
      public void onNext(StoppableGenerateRequest message) {
        if (message.hasStop()) {
          stopped.set(true);
          cancelled.countDown();
          return;
        }
        var request = message.getStart();
        if (!request.getModel().equals("slow")) {
          streamGenerate(request, response);
          return;
        }
        requests.add(request);
        new Thread(
                () -> {
                  int sent = 0;
                  try {
                    while (!observer.isCancelled() && !stopped.get()) {
                      observer.onNext(GenerateChunk.newBuilder().setText(" and").build());
                      sent++;
                      sleep(5);
                    }
                    if (stopped.get()) {
                      observer.onNext(
                          GenerateChunk.newBuilder()
                              .setFinishReason(FinishReason.FINISH_REASON_CANCELLED)
                              .build());
                      observer.onNext(
                          GenerateChunk.newBuilder()
                              .setUsage(
                                  TokenUsage.newBuilder()
                                      .setPromptTokens(5)
                                      .setCompletionTokens(sent)
                                      .setTotalTokens(5 + sent))
                              .build());
                      observer.onCompleted();
                    }
                  } catch (RuntimeException e) {
                    // cancelled between the check and the write
                  }
                })
            .start();
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }

  private static TokenUsage usage(int n) {
    return TokenUsage.newBuilder()
        .setPromptTokens(5)
        .setCompletionTokens(4 * n)
        .setTotalTokens(5 + 4 * n)
        .build();
  }

  private static boolean knownModel(GenerateRequest request, StreamObserver<?> response) {
    if (List.of("stories", "slow", "broken", "lockstep").contains(request.getModel())) {
      return true;
    }
    response.onError(notFound(request.getModel()));
    return false;
  }

  private static RuntimeException notFound(String model) {
    return GrpcErrors.toException(
        Status.Code.NOT_FOUND, "model_not_found", "no model " + model, Map.of());
  }

  private static Model model() {
    return Model.newBuilder()
        .setId("stories")
        .setOwnedBy("parley")
        .setCreated(1_700_000_000L)
        .setContextLength(512)
        .build();
  }

  private static void sleep(long millis) {
    try {
      TimeUnit.MILLISECONDS.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
