package io.parley.inference.api.grpc;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.parley.inference.application.ModelRegistry;
import io.parley.inference.domain.FinishReason;
import io.parley.inference.domain.Generation;
import io.parley.inference.domain.GenerationSink;
import io.parley.inference.domain.InferenceException;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.Usage;
import io.parley.inference.v1.Choice;
import io.parley.inference.v1.GenerateChunk;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.GenerateResponse;
import io.parley.inference.v1.GetModelRequest;
import io.parley.inference.v1.GetModelResponse;
import io.parley.inference.v1.InferenceServiceGrpc;
import io.parley.inference.v1.ListModelsRequest;
import io.parley.inference.v1.ListModelsResponse;
import io.parley.inference.v1.StoppableGenerateRequest;
import io.parley.inference.v1.TokenizeRequest;
import io.parley.inference.v1.TokenizeResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** The gRPC edge of the inference service: maps messages to the registry's engines and back. */
public final class InferenceGrpcService extends InferenceServiceGrpc.InferenceServiceImplBase {

  private final ModelRegistry registry;

  public InferenceGrpcService(ModelRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void listModels(ListModelsRequest request, StreamObserver<ListModelsResponse> observer) {
    var response = ListModelsResponse.newBuilder();
    for (var info : registry.list()) {
      response.addModels(ProtoMapping.model(info, registry.engineKind(info.id())));
    }
    observer.onNext(response.build());
    observer.onCompleted();
  }

  @Override
  public void getModel(GetModelRequest request, StreamObserver<GetModelResponse> observer) {
    try {
      var engine = registry.engine(request.getModel());
      observer.onNext(
          GetModelResponse.newBuilder()
              .setModel(ProtoMapping.model(engine.info(), registry.engineKind(request.getModel())))
              .build());
      observer.onCompleted();
    } catch (InferenceException e) {
      observer.onError(InferenceErrors.toStatus(e));
    } catch (StatusRuntimeException e) {
      observer.onError(e);
    }
  }

  @Override
  public void tokenize(TokenizeRequest request, StreamObserver<TokenizeResponse> observer) {
    try {
      var engine = registry.engine(request.getModel());
      int[] tokens =
          switch (request.getInputCase()) {
            case TEXT -> engine.tokenize(request.getText(), request.getAddSpecial());
            case CHAT ->
                engine.tokenize(
                    engine.renderChat(
                        request.getChat().getMessagesList().stream()
                            .map(ProtoMapping::chatMessage)
                            .toList()),
                    true);
            case INPUT_NOT_SET -> throw InferenceErrors.invalid("An input is required.", "input");
          };
      var response = TokenizeResponse.newBuilder();
      for (int token : tokens) {
        response.addTokens(token);
      }
      observer.onNext(response.build());
      observer.onCompleted();
    } catch (InferenceException e) {
      observer.onError(InferenceErrors.toStatus(e));
    } catch (StatusRuntimeException e) {
      observer.onError(e);
    }
  }

  @Override
  public void generate(GenerateRequest request, StreamObserver<GenerateResponse> observer) {
    var call = (ServerCallStreamObserver<GenerateResponse>) observer;
    var generation = new AtomicReference<Generation>();
    call.setOnCancelHandler(() -> cancel(generation));
    try {
      generation.set(
          registry.generate(
              request.getModel(),
              request.getOrganization(),
              ProtoMapping.request(request),
              new CollectingSink(call)));
      if (call.isCancelled()) {
        cancel(generation);
      }
    } catch (InferenceException e) {
      call.onError(InferenceErrors.toStatus(e));
    } catch (StatusRuntimeException e) {
      call.onError(e);
    }
  }

  @Override
  public void streamGenerate(GenerateRequest request, StreamObserver<GenerateChunk> observer) {
    var call = (ServerCallStreamObserver<GenerateChunk>) observer;
    var generation = new AtomicReference<Generation>();
    var sink = new CoalescingChunkSink(call);
    call.setOnCancelHandler(() -> cancel(generation));
    start(request, call, sink, generation);
  }

  @Override
  public StreamObserver<StoppableGenerateRequest> stoppableStreamGenerate(
      StreamObserver<GenerateChunk> observer) {
    var call = (ServerCallStreamObserver<GenerateChunk>) observer;
    var generation = new AtomicReference<Generation>();
    var started = new AtomicBoolean();
    var sink = new CoalescingChunkSink(call);
    call.setOnCancelHandler(() -> cancel(generation));
    return new StreamObserver<>() {
      @Override
      public void onNext(StoppableGenerateRequest message) {
        switch (message.getKindCase()) {
          case START -> {
            if (started.compareAndSet(false, true)) {
              start(message.getStart(), call, sink, generation);
            }
          }
          case STOP -> {
            if (started.get()) {
              // The engine finishes every choice as CANCELLED and reports the usage so far.
              cancel(generation);
            } else {
              call.onCompleted();
            }
          }
          case KIND_NOT_SET -> {}
        }
      }

      @Override
      public void onError(Throwable t) {
        cancel(generation);
      }

      @Override
      public void onCompleted() {
        // The caller has nothing more to say; the generation runs to its end.
      }
    };
  }

  private void start(
      GenerateRequest request,
      ServerCallStreamObserver<GenerateChunk> call,
      CoalescingChunkSink sink,
      AtomicReference<Generation> generation) {
    try {
      var domainRequest = ProtoMapping.request(request);
      if (domainRequest.bestOf() > domainRequest.n()) {
        throw InferenceErrors.invalid("best_of cannot be used when streaming.", "best_of");
      }
      generation.set(
          registry.generate(request.getModel(), request.getOrganization(), domainRequest, sink));
      if (call.isCancelled()) {
        cancel(generation);
      }
    } catch (InferenceException e) {
      call.onError(InferenceErrors.toStatus(e));
    } catch (StatusRuntimeException e) {
      call.onError(e);
    }
  }

  private static void cancel(AtomicReference<Generation> generation) {
    var running = generation.get();
    if (running != null) {
      running.cancel();
    }
  }

  /** Collects every choice and answers once at the end. */
  private static final class CollectingSink implements GenerationSink {
    private final ServerCallStreamObserver<GenerateResponse> call;
    private final TreeMap<Integer, Choice.Builder> choices = new TreeMap<>();
    private final TreeMap<Integer, StringBuilder> texts = new TreeMap<>();

    CollectingSink(ServerCallStreamObserver<GenerateResponse> call) {
      this.call = call;
    }

    private Choice.Builder choice(int index) {
      texts.computeIfAbsent(index, i -> new StringBuilder());
      return choices.computeIfAbsent(index, i -> Choice.newBuilder().setIndex(i));
    }

    @Override
    public void onEcho(int index, String promptText, List<TokenLogprob> promptTokens) {
      choice(index)
          .setEchoText(promptText)
          .addAllEchoLogprobs(ProtoMapping.tokenLogprobs(promptTokens));
    }

    @Override
    public void onDelta(int index, String text, List<TokenLogprob> tokens) {
      var choice = choice(index);
      texts.get(index).append(text);
      for (var token : tokens) {
        choice.addLogprobs(ProtoMapping.tokenLogprob(token));
      }
    }

    @Override
    public void onFinish(int index, FinishReason reason) {
      choice(index).setFinishReason(ProtoMapping.finishReason(reason));
    }

    @Override
    public void onComplete(Usage usage) {
      if (call.isCancelled()) {
        return;
      }
      var response = GenerateResponse.newBuilder().setUsage(ProtoMapping.usage(usage));
      var built = new ArrayList<Choice>();
      choices.forEach(
          (index, choice) -> built.add(choice.setText(texts.get(index).toString()).build()));
      response.addAllChoices(built);
      call.onNext(response.build());
      call.onCompleted();
    }

    @Override
    public void onError(InferenceException error) {
      if (!call.isCancelled()) {
        call.onError(InferenceErrors.toStatus(error));
      }
    }
  }
}
