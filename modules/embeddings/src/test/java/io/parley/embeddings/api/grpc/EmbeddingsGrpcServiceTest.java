package io.parley.embeddings.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.parley.common.grpc.GrpcErrors;
import io.parley.embeddings.application.EmbedUseCase;
import io.parley.embeddings.application.ModelRegistry;
import io.parley.embeddings.domain.EmbeddingEngine;
import io.parley.embeddings.domain.Vectors;
import io.parley.embeddings.infrastructure.onnx.TestEngines;
import io.parley.embeddings.v1.EmbedInput;
import io.parley.embeddings.v1.EmbedRequest;
import io.parley.embeddings.v1.EmbeddingsServiceGrpc;
import io.parley.embeddings.v1.ListModelsRequest;
import io.parley.embeddings.v1.TokenIds;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The gRPC contract through an in-process server with real stubs and the real MiniLM model. */
class EmbeddingsGrpcServiceTest {

  static Server server;
  static ManagedChannel channel;
  static EmbeddingsServiceGrpc.EmbeddingsServiceBlockingStub stub;
  static final List<EmbeddingEngine> owned = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    var registry =
        new ModelRegistry(
            List.of(
                TestEngines.spec("all-minilm-l6-v2", "bundled-minilm", false),
                TestEngines.spec("minilm-matryoshka", "bundled-minilm", true)),
            spec -> {
              if (spec.id().equals("all-minilm-l6-v2")) {
                return TestEngines.minilm();
              }
              var engine = TestEngines.load(spec);
              owned.add(engine);
              return engine;
            });
    registry.loadAll();
    var name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(new EmbeddingsGrpcService(registry, new EmbedUseCase(registry, 2048)))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub = EmbeddingsServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow();
    server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    owned.forEach(EmbeddingEngine::close);
  }

  static EmbedInput text(String text) {
    return EmbedInput.newBuilder().setText(text).build();
  }

  static EmbeddingsServiceGrpc.EmbeddingsServiceBlockingStub withDeadline() {
    return stub.withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  static StatusRuntimeException fails(EmbedRequest request) {
    return catchThrowableOfType(StatusRuntimeException.class, () -> withDeadline().embed(request));
  }

  @Test
  void listModels_showsEachModelWithItsSizeLimitsAndDimensionsSupport() {
    var models = withDeadline().listModels(ListModelsRequest.getDefaultInstance()).getModelsList();
    assertThat(models).hasSize(2);
    var minilm = models.getFirst();
    assertThat(minilm.getId()).isEqualTo("all-minilm-l6-v2");
    assertThat(minilm.getDimensions()).isEqualTo(384);
    assertThat(minilm.getMaxInputTokens()).isEqualTo(256);
    assertThat(minilm.getSupportsDimensions()).isFalse();
    assertThat(minilm.getOwnedBy()).isEqualTo("parley");
    assertThat(minilm.getCreated()).isPositive();
    assertThat(models.get(1).getSupportsDimensions()).isTrue();
  }

  @Test
  void embed_textsAndTokenIds_returnIndexedUnitVectorsAndUsage() {
    var response =
        withDeadline()
            .embed(
                EmbedRequest.newBuilder()
                    .setModel("all-minilm-l6-v2")
                    .setRequestId("req-1")
                    .addInputs(text("hello world"))
                    .addInputs(
                        EmbedInput.newBuilder()
                            .setTokens(TokenIds.newBuilder().addIds(7592).addIds(2088)))
                    .build());
    assertThat(response.getEmbeddingsList()).extracting(e -> e.getIndex()).containsExactly(0, 1);
    var first = toArray(response.getEmbeddings(0).getValuesList());
    var second = toArray(response.getEmbeddings(1).getValuesList());
    assertThat(first).hasSize(384);
    assertThat(Vectors.cosine(first, second)).isGreaterThan(0.999);
    assertThat(response.getUsage().getPromptTokens()).isEqualTo(8);
    assertThat(response.getUsage().getCompletionTokens()).isZero();
    assertThat(response.getUsage().getTotalTokens()).isEqualTo(8);
  }

  @Test
  void embed_dimensions_onAMatryoshkaModel_truncatesAndRenormalises() {
    var full =
        withDeadline()
            .embed(
                EmbedRequest.newBuilder()
                    .setModel("minilm-matryoshka")
                    .addInputs(text("hello world"))
                    .build());
    var small =
        withDeadline()
            .embed(
                EmbedRequest.newBuilder()
                    .setModel("minilm-matryoshka")
                    .addInputs(text("hello world"))
                    .setDimensions(64)
                    .build());
    var vector = toArray(small.getEmbeddings(0).getValuesList());
    assertThat(vector).hasSize(64);
    assertThat(Vectors.cosine(vector, vector))
        .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-6));
    double norm = 0;
    for (float v : vector) {
      norm += v * v;
    }
    assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
    var prefix = java.util.Arrays.copyOf(toArray(full.getEmbeddings(0).getValuesList()), 64);
    assertThat(Vectors.cosine(prefix, vector)).isGreaterThan(0.99999);
  }

  @Test
  void embed_dimensions_onMiniLm_isInvalidArgumentOnDimensions() {
    var e =
        fails(
            EmbedRequest.newBuilder()
                .setModel("all-minilm-l6-v2")
                .addInputs(text("hello"))
                .setDimensions(128)
                .build());
    var error = GrpcErrors.parse(e);
    assertThat(error.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(error.reason()).isEqualTo("invalid_value");
    assertThat(error.metadata()).containsEntry("param", "dimensions");
    assertThat(error.metadata()).containsEntry("type", "invalid_request_error");
  }

  @Test
  void embed_unknownModel_isNotFoundOnModel() {
    var error =
        GrpcErrors.parse(
            fails(
                EmbedRequest.newBuilder()
                    .setModel("text-embedding-3-small")
                    .addInputs(text("x"))
                    .build()));
    assertThat(error.code()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(error.reason()).isEqualTo("model_not_found");
    assertThat(error.metadata()).containsEntry("param", "model");
    assertThat(error.message()).contains("text-embedding-3-small");
  }

  @Test
  void embed_tooLongInput_isInvalidArgumentContextLengthExceededOnInput() {
    var error =
        GrpcErrors.parse(
            fails(
                EmbedRequest.newBuilder()
                    .setModel("all-minilm-l6-v2")
                    .addInputs(text("ok"))
                    .addInputs(text("ok"))
                    .addInputs(text("ok"))
                    .addInputs(text("word ".repeat(260)))
                    .build()));
    assertThat(error.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(error.reason()).isEqualTo("context_length_exceeded");
    assertThat(error.metadata()).containsEntry("param", "input");
    assertThat(error.message())
        .startsWith(
            "This model's maximum context length is 256 tokens, however you requested 262 tokens"
                + " in input[3]");
  }

  @Test
  void embed_noInputs_emptyInput_orUnsetInput_isInvalidArgumentOnInput() {
    for (var request :
        List.of(
            EmbedRequest.newBuilder().setModel("all-minilm-l6-v2").build(),
            EmbedRequest.newBuilder().setModel("all-minilm-l6-v2").addInputs(text("")).build(),
            EmbedRequest.newBuilder()
                .setModel("all-minilm-l6-v2")
                .addInputs(EmbedInput.getDefaultInstance())
                .build(),
            EmbedRequest.newBuilder()
                .setModel("all-minilm-l6-v2")
                .addInputs(EmbedInput.newBuilder().setTokens(TokenIds.newBuilder().addIds(-1)))
                .build())) {
      var error = GrpcErrors.parse(fails(request));
      assertThat(error.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(error.metadata()).containsEntry("param", "input");
    }
  }

  static float[] toArray(List<Float> values) {
    var array = new float[values.size()];
    for (int i = 0; i < array.length; i++) {
      array[i] = values.get(i);
    }
    return array;
  }
}
