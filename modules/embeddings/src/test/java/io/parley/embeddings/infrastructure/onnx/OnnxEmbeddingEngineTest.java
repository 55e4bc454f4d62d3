package io.parley.embeddings.infrastructure.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import io.parley.embeddings.domain.ContextLengthExceededException;
import io.parley.embeddings.domain.EmbeddingInput;
import io.parley.embeddings.domain.EmbeddingRequest;
import io.parley.embeddings.domain.EmbeddingResult;
import io.parley.embeddings.domain.InvalidEmbeddingRequestException;
import io.parley.embeddings.domain.Vectors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** The in-process engine on the bundled all-MiniLM-L6-v2 model. */
class OnnxEmbeddingEngineTest {

  static final List<String> SENTENCES =
      List.of(
          "The cat sits on the mat.",
          "A kitten is resting on a rug.",
          "Stock markets fell sharply after the interest rate decision.",
          "How do I bake sourdough bread at home?",
          "Quantum computers use qubits instead of bits.",
          "The weather is lovely today, sunny and warm.",
          "Parley serves OpenAI-compatible embeddings from your own machines.",
          "Le chat est assis sur le tapis.");

  /** Sixteen sentences on unrelated topics. */
  static final List<String> TOPICS =
      List.of(
          "The cat sits on the mat.",
          "Stock markets fell sharply after the interest rate decision.",
          "How do I bake sourdough bread at home?",
          "Quantum computers use qubits instead of bits.",
          "The weather is lovely today, sunny and warm.",
          "The striker scored twice in the second half of the final.",
          "Photosynthesis turns sunlight, water and carbon dioxide into sugar.",
          "Please reset my password, I cannot log in.",
          "The symphony opened with a slow movement for strings.",
          "Add two cups of flour and stir until smooth.",
          "The volcano erupted, covering the village in ash.",
          "Our quarterly revenue grew by twelve percent.",
          "The train to Berlin leaves from platform nine.",
          "Vaccines train the immune system to recognise a virus.",
          "He painted the fence bright blue last weekend.",
          "Compile the project with Maven before running the tests.");

  final OnnxEmbeddingEngine engine = TestEngines.minilm();

  static EmbeddingResult embed(OnnxEmbeddingEngine engine, EmbeddingInput... inputs) {
    return engine.embed(new EmbeddingRequest(List.of(inputs), OptionalInt.empty())).join();
  }

  static EmbeddingResult embed(OnnxEmbeddingEngine engine, String... texts) {
    return embed(
        engine, Arrays.stream(texts).map(EmbeddingInput.Text::new).toArray(EmbeddingInput[]::new));
  }

  @Test
  void embed_matchesTheLangchain4jModel_forTheSameSentences() {
    var reference = new AllMiniLmL6V2QuantizedEmbeddingModel();
    for (var sentence : SENTENCES) {
      float[] ours = embed(engine, sentence).vectors().getFirst();
      float[] theirs = reference.embed(sentence).content().vector();
      assertThat(ours).hasSize(384);
      assertThat(Vectors.cosine(ours, theirs)).as(sentence).isGreaterThanOrEqualTo(0.9999);
    }
  }

  @Test
  void embed_returnsUnitVectors_andExactTokenCounts() {
    var result = embed(engine, "Hello world", "The cat sits on the mat.");
    for (float[] vector : result.vectors()) {
      assertThat(Vectors.cosine(vector, vector))
          .isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
      double norm = 0;
      for (float v : vector) {
        norm += v * v;
      }
      assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    }
    // [CLS] hello world [SEP] + [CLS] the cat sits on the mat . [SEP]
    assertThat(result.promptTokens()).isEqualTo(4 + 9);
  }

  @Test
  void embed_putsSimilarSentencesCloserThanUnrelatedOnes() {
    var vectors =
        embed(
                engine,
                "The cat sits on the mat.",
                "A kitten is resting on a rug.",
                "Stock markets fell sharply after the interest rate decision.")
            .vectors();
    double similar = Vectors.cosine(vectors.get(0), vectors.get(1));
    double unrelated = Vectors.cosine(vectors.get(0), vectors.get(2));
    assertThat(similar).isGreaterThan(0.5).isGreaterThan(unrelated + 0.3);
  }

  @Test
  void embed_tokenIds_givesTheSameVectorAsTheText() {
    // hello world, without [CLS]/[SEP]; and the same with them: both read as the text.
    var text = embed(engine, "hello world");
    var bare = embed(engine, new EmbeddingInput.Tokens(new int[] {7592, 2088}));
    var wrapped = embed(engine, new EmbeddingInput.Tokens(new int[] {101, 7592, 2088, 102}));
    assertThat(bare.promptTokens()).isEqualTo(text.promptTokens()).isEqualTo(4);
    assertThat(wrapped.promptTokens()).isEqualTo(4);
    assertThat(Vectors.cosine(bare.vectors().getFirst(), text.vectors().getFirst()))
        .isGreaterThan(0.99999);
    assertThat(wrapped.vectors().getFirst()).containsExactly(bare.vectors().getFirst());
  }

  @Test
  void embed_tokenIdOutsideTheVocabulary_isRefusedNamingTheInput() {
    assertThatThrownBy(
            () ->
                embed(
                    engine,
                    new EmbeddingInput.Text("fine"),
                    new EmbeddingInput.Tokens(new int[] {7592, 30522})))
        .isInstanceOf(InvalidEmbeddingRequestException.class)
        .hasMessageContaining("input[1]")
        .hasMessageContaining("30522")
        .extracting(e -> ((InvalidEmbeddingRequestException) e).param().orElseThrow())
        .isEqualTo("input");
  }

  @Test
  void embed_inputLongerThanTheModelReads_isRefusedWithTheOpenAiMessage() {
    assertThatThrownBy(() -> embed(engine, "short", "word ".repeat(300)))
        .isInstanceOf(ContextLengthExceededException.class)
        .hasMessage(
            "This model's maximum context length is 256 tokens, however you requested 302 tokens"
                + " in input[1]. Please reduce the length of the input.");
    // 254 words + [CLS] + [SEP] is exactly the limit.
    assertThat(embed(engine, "word ".repeat(254)).promptTokens()).isEqualTo(256);
  }

  @Test
  void embed_concurrentCallers_shareOnnxRuns_andEachGetsItsOwnVector() throws Exception {
    int callers = TOPICS.size();
    var alone = new ArrayList<float[]>();
    for (var text : TOPICS) {
      alone.add(embed(engine, text).vectors().getFirst());
    }
    long runsBefore = engine.runs();
    var start = new CountDownLatch(1);
    var futures = new ArrayList<CompletableFuture<EmbeddingResult>>();
    try (var pool = Executors.newFixedThreadPool(callers)) {
      for (var text : TOPICS) {
        futures.add(
            CompletableFuture.supplyAsync(
                () -> {
                  await(start);
                  return embed(engine, text);
                },
                pool));
      }
      start.countDown();
      for (int i = 0; i < callers; i++) {
        float[] together = futures.get(i).get().vectors().getFirst();
        // The int8 model quantises activations over the whole batch, so a vector computed in
        // company differs slightly from the one computed alone; it is still its own.
        double own = Vectors.cosine(together, alone.get(i));
        assertThat(own).as("caller %d", i).isGreaterThan(0.98);
        for (int j = 0; j < callers; j++) {
          if (j != i) {
            assertThat(Vectors.cosine(together, alone.get(j))).isLessThan(own - 0.2);
          }
        }
      }
    }
    assertThat(engine.runs() - runsBefore).isLessThanOrEqualTo(callers / 4);
  }

  @Test
  void embed_sameInputsInTheSameBatch_giveTheSameVectors() {
    var first = embed(engine, TOPICS.toArray(String[]::new));
    var second = embed(engine, TOPICS.toArray(String[]::new));
    for (int i = 0; i < TOPICS.size(); i++) {
      assertThat(second.vectors().get(i)).containsExactly(first.vectors().get(i));
    }
  }

  @Test
  void embed_manyInputsInOneRequest_runInBatchesOfTheConfiguredSize() {
    long runsBefore = engine.runs();
    var texts = new String[70];
    for (int i = 0; i < texts.length; i++) {
      texts[i] = "sentence number " + i;
    }
    var result = embed(engine, texts);
    assertThat(result.vectors()).hasSize(70);
    assertThat(engine.runs() - runsBefore).isEqualTo(3);
    float[] single = embed(engine, "sentence number 42").vectors().getFirst();
    assertThat(Vectors.cosine(result.vectors().get(42), single)).isGreaterThan(0.98);
  }

  @Test
  void embed_bgeModel_usesClsPoolingAndReadsLongerInputs() {
    try (var bge = TestEngines.load(TestEngines.spec("bge-small-en-v1.5", "bundled-bge", false))) {
      assertThat(bge.info().dimensions()).isEqualTo(384);
      assertThat(bge.info().maxInputTokens()).isEqualTo(512);
      var reference =
          new dev.langchain4j.model.embedding.onnx.bgesmallenv15q
              .BgeSmallEnV15QuantizedEmbeddingModel();
      float[] ours = embed(bge, SENTENCES.get(0)).vectors().getFirst();
      float[] theirs = reference.embed(SENTENCES.get(0)).content().vector();
      assertThat(Vectors.cosine(ours, theirs)).isGreaterThanOrEqualTo(0.9999);
      assertThat(embed(bge, "word ".repeat(400)).promptTokens()).isEqualTo(402);
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
