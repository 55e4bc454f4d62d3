package io.parley.embeddings.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.embeddings.domain.EmbeddingEngine;
import io.parley.embeddings.domain.EmbeddingInput;
import io.parley.embeddings.domain.EmbeddingRequest;
import io.parley.embeddings.domain.EmbeddingResult;
import io.parley.embeddings.domain.InvalidEmbeddingRequestException;
import io.parley.embeddings.domain.ModelInfo;
import io.parley.embeddings.domain.ModelNotFoundException;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The checks every engine relies on, in front of an engine that returns zero vectors. */
class EmbedUseCaseTest {

  static final class ZeroEngine implements EmbeddingEngine {
    final ModelInfo info;

    ZeroEngine(ModelInfo info) {
      this.info = info;
    }

    @Override
    public ModelInfo info() {
      return info;
    }

    @Override
    public CompletableFuture<EmbeddingResult> embed(EmbeddingRequest request) {
      return CompletableFuture.completedFuture(
          new EmbeddingResult(
              Collections.nCopies(request.inputs().size(), new float[info.dimensions()]), 1));
    }

    @Override
    public void close() {}
  }

  static ModelSpec spec(String id) {
    return new ModelSpec(
        id,
        "onnx",
        "path",
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        Optional.empty(),
        OptionalInt.empty(),
        false,
        0,
        Optional.empty(),
        id,
        Optional.empty(),
        "parley");
  }

  final ModelRegistry registry =
      new ModelRegistry(
          List.of(spec("fixed"), spec("matryoshka")),
          spec ->
              new ZeroEngine(
                  new ModelInfo(spec.id(), "parley", 0, 768, spec.id().equals("matryoshka"), 512)));
  final EmbedUseCase useCase = new EmbedUseCase(registry, 3);

  {
    registry.loadAll();
  }

  static EmbeddingRequest texts(OptionalInt dimensions, String... texts) {
    return new EmbeddingRequest(
        java.util.Arrays.stream(texts).<EmbeddingInput>map(EmbeddingInput.Text::new).toList(),
        dimensions);
  }

  static InvalidEmbeddingRequestException invalid(Runnable call) {
    try {
      call.run();
    } catch (InvalidEmbeddingRequestException e) {
      return e;
    }
    throw new AssertionError("not refused");
  }

  @Test
  void embed_unknownModel_isModelNotFound() {
    assertThatThrownBy(() -> useCase.embed("nope", texts(OptionalInt.empty(), "a")))
        .isInstanceOf(ModelNotFoundException.class)
        .hasMessage("The model `nope` does not exist or you do not have access to it.");
  }

  @Test
  void embed_noInputs_tooManyInputs_orAnEmptyOne_areRefusedOnInput() {
    var none = invalid(() -> useCase.embed("fixed", texts(OptionalInt.empty())));
    var many =
        invalid(() -> useCase.embed("fixed", texts(OptionalInt.empty(), "a", "b", "c", "d")));
    var empty = invalid(() -> useCase.embed("fixed", texts(OptionalInt.empty(), "a", "")));
    var noIds =
        invalid(
            () ->
                useCase.embed(
                    "fixed",
                    new EmbeddingRequest(
                        List.of(new EmbeddingInput.Tokens(new int[0])), OptionalInt.empty())));
    for (var e : List.of(none, many, empty, noIds)) {
      assertThat(e.param()).contains("input");
    }
    assertThat(empty.getMessage()).contains("input[1]");
    assertThat(many.getMessage()).contains("at most 3");
  }

  @Test
  void embed_dimensions_onAModelWithoutMatryoshka_isRefusedOnDimensions() {
    var e = invalid(() -> useCase.embed("fixed", texts(OptionalInt.of(256), "a")));
    assertThat(e.param()).contains("dimensions");
    assertThat(e.getMessage()).isEqualTo("This model does not support specifying dimensions.");
  }

  @Test
  void embed_dimensions_outsideOneToTheNativeSize_isRefusedOnDimensions() {
    assertThat(invalid(() -> useCase.embed("matryoshka", texts(OptionalInt.of(0), "a"))).param())
        .contains("dimensions");
    assertThat(
            invalid(() -> useCase.embed("matryoshka", texts(OptionalInt.of(769), "a")))
                .getMessage())
        .contains("<= 768");
    assertThat(useCase.embed("matryoshka", texts(OptionalInt.of(768), "a")).join().vectors())
        .hasSize(1);
  }
}
