package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.errors.BadRequestException;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.moderations.ModerationCreateParams;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code /v1/embeddings} and {@code /v1/moderations} through the gateway, the embeddings and safety
 * services and their real local models, driven by the official SDK.
 */
class EmbeddingsAndModerationIT {

  static final String EMBEDDING_MODEL = "all-minilm-l6-v2";
  static OpenAIClient client;

  @BeforeAll
  static void start() {
    client = ParleyStack.shared().client();
  }

  static List<Float> embed(String text, EmbeddingCreateParams.EncodingFormat format) {
    return client
        .embeddings()
        .create(
            EmbeddingCreateParams.builder()
                .model(EMBEDDING_MODEL)
                .input(text)
                .encodingFormat(format)
                .build())
        .data()
        .get(0)
        .embedding();
  }

  static double cosine(List<Float> a, List<Float> b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.size(); i++) {
      dot += a.get(i) * b.get(i);
      na += a.get(i) * a.get(i);
      nb += b.get(i) * b.get(i);
    }
    return dot / Math.sqrt(na * nb);
  }

  @Test
  void embeddings_floatAndBase64_giveTheSameVector() {
    var asFloat = embed("The cat sits on the mat.", EmbeddingCreateParams.EncodingFormat.FLOAT);
    var asBase64 = embed("The cat sits on the mat.", EmbeddingCreateParams.EncodingFormat.BASE64);
    assertThat(asFloat).hasSize(384);
    assertThat(asBase64).isEqualTo(asFloat);
  }

  @Test
  void embeddings_similarSentencesAreCloserThanUnrelatedOnes() {
    var format = EmbeddingCreateParams.EncodingFormat.FLOAT;
    var cat = embed("A cat is sleeping on the sofa.", format);
    var kitten = embed("A kitten naps on the couch.", format);
    var finance = embed("Quarterly interest rates rose sharply.", format);
    assertThat(cosine(cat, kitten)).isGreaterThan(cosine(cat, finance) + 0.2);
  }

  @Test
  void embeddings_batchHasIndexesAndExactUsage() {
    var response =
        client
            .embeddings()
            .create(
                EmbeddingCreateParams.builder()
                    .model(EMBEDDING_MODEL)
                    .inputOfArrayOfStrings(List.of("one", "two words", "three small words"))
                    .build());
    assertThat(response.data()).hasSize(3);
    assertThat(response.data().get(2).index()).isEqualTo(2);
    // [CLS] + tokens + [SEP] per input: 3 + 4 + 5
    assertThat(response.usage().promptTokens()).isEqualTo(12);
  }

  @Test
  void embeddings_dimensionsOnAModelWithoutThem_is400WithParam() {
    assertThatThrownBy(
            () ->
                client
                    .embeddings()
                    .create(
                        EmbeddingCreateParams.builder()
                            .model(EMBEDDING_MODEL)
                            .input("x")
                            .dimensions(64)
                            .build()))
        .isInstanceOfSatisfying(
            BadRequestException.class, e -> assertThat(e.param()).contains("dimensions"));
  }

  @Test
  void moderation_flagsClearAbuse_andPassesBenignText() {
    var response =
        client
            .moderations()
            .create(
                ModerationCreateParams.builder()
                    .inputOfStrings(
                        List.of(
                            "I hate you, you worthless idiot, go die.",
                            "Thank you for the lovely dinner last night."))
                    .build());
    assertThat(response.id()).startsWith("modr-");
    assertThat(response.results()).hasSize(2);
    var abusive = response.results().get(0);
    var benign = response.results().get(1);
    assertThat(abusive.flagged()).isTrue();
    assertThat(abusive.categoryScores().harassment())
        .isGreaterThan(benign.categoryScores().harassment());
    assertThat(benign.flagged()).isFalse();
  }

  @Test
  void models_listEmbeddingModelsToo() {
    var ids = client.models().list().data().stream().map(m -> m.id()).toList();
    assertThat(ids).contains(ParleyStack.MODEL, EMBEDDING_MODEL);
  }

  @Test
  void moderationPolicy_screenInput_refusesAFlaggedPrompt() throws Exception {
    var stack = ParleyStack.shared();
    var http = java.net.http.HttpClient.newHttpClient();
    java.util.function.BiFunction<String, String, java.net.http.HttpResponse<String>> post =
        (path, body) -> {
          try {
            return http.send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(stack.baseUrl() + path))
                    .header("Authorization", "Bearer " + stack.adminKey)
                    .header("Content-Type", "application/json")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        };
    var set = post.apply("/organization/moderation_policy", "{\"screen_input\":true}");
    assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
    assertThat(set.body()).contains("\"screen_input\":true");
    try {
      var flagged =
          post.apply(
              "/chat/completions",
              "{\"model\":\"stories260k\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\","
                  + "\"content\":\"I hate you, you worthless idiot, go die.\"}]}");
      assertThat(flagged.statusCode()).isEqualTo(400);
      assertThat(flagged.body())
          .contains("\"code\":\"content_filter\"")
          .contains("\"param\":\"messages\"");
      var benign =
          post.apply(
              "/completions",
              "{\"model\":\"stories260k\",\"max_tokens\":3,"
                  + "\"prompt\":\"Thank you for the lovely dinner last night.\"}");
      assertThat(benign.statusCode()).as(benign.body()).isEqualTo(200);
    } finally {
      post.apply("/organization/moderation_policy", "{\"screen_input\":false}");
    }
  }
}
