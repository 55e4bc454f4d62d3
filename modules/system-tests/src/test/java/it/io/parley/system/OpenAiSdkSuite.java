package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.client.OpenAIClient;
import com.openai.core.JsonValue;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import io.parley.inference.v1.ChatMessage;
import io.parley.inference.v1.ChatPrompt;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.InferenceServiceGrpc;
import io.parley.inference.v1.SamplingParams;
import io.parley.inference.v1.TextPrompt;
import io.parley.inference.v1.TokenizeRequest;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;

/**
 * The whole chain (HTTP → gateway → gRPC → inference → llama.cpp) driven by the official OpenAI
 * Java SDK, as a user would. The same tests run against Liberty servers started as processes
 * ({@link OpenAiSdkIT}) and against every service in its own container ({@link ContainersIT}).
 */
abstract class OpenAiSdkSuite {

  static final String MODEL = ParleyStack.MODEL;
  static final String PROMPT = "Once upon a time, there was a little";

  /** The SDK client of the stack's administrator key. */
  abstract OpenAIClient client();

  /** An SDK client with another key. */
  abstract OpenAIClient client(String apiKey);

  /** Inference's gRPC API, called with the gateway's identity (to count tokens exactly). */
  abstract InferenceServiceGrpc.InferenceServiceBlockingStub inference();

  static CompletionCreateParams.Builder completion() {
    return CompletionCreateParams.builder().model(MODEL).prompt(PROMPT).temperature(0.0);
  }

  static ChatCompletionCreateParams.Builder chat() {
    return ChatCompletionCreateParams.builder()
        .model(MODEL)
        .addUserMessage("Tell me a story about a cat.")
        .temperature(0.0);
  }

  // --- models

  @Test
  void models_listAndRetrieve_showTheLoadedModel() {
    var ids = client().models().list().data().stream().map(Model::id).toList();
    assertThat(ids).contains(MODEL);
    var model = client().models().retrieve(MODEL);
    assertThat(model.id()).isEqualTo(MODEL);
    assertThat(model.ownedBy()).isNotBlank();
  }

  @Test
  void models_unknown_returns404ModelNotFound() {
    assertThatThrownBy(() -> client().models().retrieve("no-such-model"))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(
            () ->
                client()
                    .completions()
                    .create(completion().model("no-such-model").maxTokens(3).build()))
        .isInstanceOfSatisfying(
            NotFoundException.class, e -> assertThat(e.code()).contains("model_not_found"));
  }

  // --- legacy completions

  @Test
  void completion_temperatureZero_isDeterministic_andUsageMatchesTokenizer() {
    Completion first = client().completions().create(completion().maxTokens(20).build());
    Completion second = client().completions().create(completion().maxTokens(20).build());
    var text = first.choices().get(0).text();
    assertThat(text).isNotBlank().isEqualTo(second.choices().get(0).text());
    assertThat(first.id()).startsWith("cmpl-");
    var usage = first.usage().orElseThrow();
    var promptTokens =
        inference()
            .tokenize(
                TokenizeRequest.newBuilder()
                    .setModel(MODEL)
                    .setText(PROMPT)
                    .setAddSpecial(true)
                    .build())
            .getTokensCount();
    assertThat(usage.promptTokens()).isEqualTo(promptTokens);
    assertThat(usage.totalTokens()).isEqualTo(usage.promptTokens() + usage.completionTokens());
  }

  @Test
  void completion_maxTokens_givesLengthAndExactlyThatManyTokens() {
    var result = client().completions().create(completion().maxTokens(7).build());
    assertThat(result.choices().get(0).finishReason())
        .isEqualTo(CompletionChoice.FinishReason.LENGTH);
    assertThat(result.usage().orElseThrow().completionTokens()).isEqualTo(7);
  }

  @Test
  void completion_stopString_isNeverEmitted_andFinishesWithStop() {
    var full =
        client().completions().create(completion().maxTokens(40).build()).choices().get(0).text();
    var words = full.trim().split(" ");
    assertThat(words.length).isGreaterThan(4);
    var stop = " " + words[3];
    var cut = full.substring(0, full.indexOf(stop));
    var stopped =
        client()
            .completions()
            .create(completion().maxTokens(40).stop(stop).build())
            .choices()
            .get(0);
    assertThat(stopped.text()).isEqualTo(cut).doesNotContain(stop);
    assertThat(stopped.finishReason()).isEqualTo(CompletionChoice.FinishReason.STOP);
  }

  @Test
  void completion_logitBiasMinus100_bansTheGreedyToken() {
    var probe =
        inference()
            .generate(
                GenerateRequest.newBuilder()
                    .setModel(MODEL)
                    .setRequestId("probe")
                    .setText(TextPrompt.newBuilder().setText(PROMPT))
                    .setMaxTokens(1)
                    .setN(1)
                    .setSampling(SamplingParams.newBuilder().setTemperature(0).setTopP(1))
                    .setLogprobs(0)
                    .build());
    int greedy = probe.getChoices(0).getLogprobs(0).getToken();
    var unbiased =
        client().completions().create(completion().maxTokens(10).build()).choices().get(0);
    var biased =
        client()
            .completions()
            .create(
                completion()
                    .maxTokens(10)
                    .logprobs(1)
                    .logitBias(
                        CompletionCreateParams.LogitBias.builder()
                            .putAdditionalProperty(Integer.toString(greedy), JsonValue.from(-100))
                            .build())
                    .build())
            .choices()
            .get(0);
    assertThat(biased.text()).isNotEqualTo(unbiased.text());
    var banned = probe.getChoices(0).getLogprobs(0).getText();
    assertThat(biased.logprobs().orElseThrow().tokens().orElseThrow()).doesNotContain(banned);
  }

  @Test
  void completion_echoWithLogprobs_returnsPromptAndItsLogprobs() {
    var choice =
        client()
            .completions()
            .create(completion().maxTokens(5).echo(true).logprobs(2).build())
            .choices()
            .get(0);
    assertThat(choice.text()).startsWith(PROMPT);
    var logprobs = choice.logprobs().orElseThrow();
    var tokenLogprobs = logprobs._tokenLogprobs().asKnown().orElseThrow();
    assertThat(logprobs.tokens().orElseThrow().size()).isGreaterThan(5);
    assertThat(logprobs.textOffset().orElseThrow().get(0)).isEqualTo(0L);
    assertThat(tokenLogprobs).isNotEmpty();
  }

  @Test
  void completion_nAndBestOf_returnTheRequestedChoices() {
    var n =
        client()
            .completions()
            .create(completion().temperature(1.0).seed(7).n(3).maxTokens(8).build());
    assertThat(n.choices()).hasSize(3);
    assertThat(n.choices().stream().map(CompletionChoice::index).toList())
        .containsExactly(0L, 1L, 2L);
    var best =
        client()
            .completions()
            .create(completion().temperature(1.0).seed(7).n(1).bestOf(3).maxTokens(8).build());
    assertThat(best.choices()).hasSize(1);
    // best_of bills every generated sequence
    assertThat(best.usage().orElseThrow().completionTokens()).isEqualTo(24);
  }

  @Test
  void completion_seed_reproducesSampledText() {
    var a =
        client().completions().create(completion().temperature(1.0).seed(42).maxTokens(15).build());
    var b =
        client().completions().create(completion().temperature(1.0).seed(42).maxTokens(15).build());
    assertThat(a.choices().get(0).text()).isEqualTo(b.choices().get(0).text());
  }

  @Test
  void completion_streamed_equalsNonStreamed() {
    var whole =
        client().completions().create(completion().maxTokens(20).build()).choices().get(0).text();
    var text = new StringBuilder();
    var ids = new ArrayList<String>();
    try (var stream = client().completions().createStreaming(completion().maxTokens(20).build())) {
      stream.stream()
          .forEach(
              c -> {
                ids.add(c.id());
                c.choices().forEach(ch -> text.append(ch.text()));
              });
    }
    assertThat(text.toString()).isEqualTo(whole);
    assertThat(ids).isNotEmpty().allMatch(id -> id.equals(ids.get(0)));
  }

  @Test
  void completion_contextOverflow_returns400ContextLengthExceeded() {
    assertThatThrownBy(() -> client().completions().create(completion().maxTokens(100_000).build()))
        .isInstanceOfSatisfying(
            BadRequestException.class,
            e -> assertThat(e.code()).contains("context_length_exceeded"));
  }

  @Test
  void completion_streamWithBestOf_returns400() {
    assertThatThrownBy(
            () -> {
              try (var s =
                  client()
                      .completions()
                      .createStreaming(completion().n(1).bestOf(2).maxTokens(3).build())) {
                s.stream().count();
              }
            })
        .isInstanceOf(BadRequestException.class);
  }

  // --- chat completions

  @Test
  void chat_temperatureZero_isDeterministic_andUsageMatchesTemplateTokens() {
    ChatCompletion first =
        client().chat().completions().create(chat().maxCompletionTokens(16).build());
    ChatCompletion second =
        client().chat().completions().create(chat().maxCompletionTokens(16).build());
    var text = first.choices().get(0).message().content().orElseThrow();
    assertThat(text)
        .isNotBlank()
        .isEqualTo(second.choices().get(0).message().content().orElseThrow());
    assertThat(first.id()).startsWith("chatcmpl-");
    var expectedPrompt =
        inference()
            .tokenize(
                TokenizeRequest.newBuilder()
                    .setModel(MODEL)
                    .setChat(
                        ChatPrompt.newBuilder()
                            .addMessages(
                                ChatMessage.newBuilder()
                                    .setRole("user")
                                    .setContent("Tell me a story about a cat.")))
                    .build())
            .getTokensCount();
    var usage = first.usage().orElseThrow();
    assertThat(usage.promptTokens()).isEqualTo(expectedPrompt);
    assertThat(usage.completionTokens()).isEqualTo(16);
  }

  @Test
  void chat_streamWithIncludeUsage_hasRoleFirstFinishLastAndUsageChunk() {
    var whole =
        client()
            .chat()
            .completions()
            .create(chat().maxCompletionTokens(12).build())
            .choices()
            .get(0)
            .message()
            .content()
            .orElseThrow();
    var chunks = new ArrayList<ChatCompletionChunk>();
    try (var stream =
        client()
            .chat()
            .completions()
            .createStreaming(
                chat()
                    .maxCompletionTokens(12)
                    .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                    .build())) {
      stream.stream().forEach(chunks::add);
    }
    assertThat(chunks.get(0).choices().get(0).delta().role()).isPresent();
    var last = chunks.get(chunks.size() - 1);
    assertThat(last.choices()).isEmpty();
    assertThat(last.usage().orElseThrow().completionTokens()).isEqualTo(12);
    var withChoices = chunks.stream().filter(c -> !c.choices().isEmpty()).toList();
    assertThat(withChoices.get(withChoices.size() - 1).choices().get(0).finishReason())
        .hasValueSatisfying(r -> assertThat(r.asString()).isEqualTo("length"));
    var text = new StringBuilder();
    withChoices.forEach(c -> c.choices().get(0).delta().content().ifPresent(text::append));
    assertThat(text.toString()).isEqualTo(whole);
  }

  @Test
  void chat_logprobs_reportTopAlternatives() {
    var choice =
        client()
            .chat()
            .completions()
            .create(chat().maxCompletionTokens(5).logprobs(true).topLogprobs(3).build())
            .choices()
            .get(0);
    var content = choice.logprobs().orElseThrow().content().orElseThrow();
    assertThat(content).hasSize(5);
    assertThat(content.get(0).topLogprobs()).hasSize(3);
    assertThat(content.get(0).logprob()).isLessThanOrEqualTo(0.0);
  }

  @Test
  void chat_invalidTemperature_returns400WithParam() {
    assertThatThrownBy(() -> client().chat().completions().create(chat().temperature(5.0).build()))
        .isInstanceOfSatisfying(
            BadRequestException.class, e -> assertThat(e.param()).contains("temperature"));
  }

  // --- authentication

  @Test
  void wrongKey_returns401() {
    var wrong = client("sk-wrong-key-000000000000");
    try {
      assertThatThrownBy(() -> wrong.models().list())
          .isInstanceOfSatisfying(
              UnauthorizedException.class,
              e -> assertThat(e.getMessage()).doesNotContain("sk-wrong-key-000000000000"));
    } finally {
      wrong.close();
    }
  }

  @Test
  void errors_areOpenAiShaped() {
    try {
      client().completions().create(completion().maxTokens(-1).build());
    } catch (OpenAIServiceException e) {
      assertThat(e.statusCode()).isEqualTo(400);
      assertThat(e.type()).contains("invalid_request_error");
      assertThat(e.param()).contains("max_tokens");
      return;
    }
    throw new AssertionError("expected a 400");
  }
}
