package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.gateway.domain.ModelNotFoundException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Every bounded length and count of the request parsers: past the bound a 4xx naming it. */
class RequestLimitsTest {

  private static final String LONG_MODEL = "m".repeat(100_000);

  private static ObjectNode json(String text) throws Exception {
    return (ObjectNode) Json.MAPPER.readTree(text);
  }

  private static String chat(String extra) {
    return "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]" + extra + "}";
  }

  private static InvalidRequestException invalid(Runnable parse) {
    var thrown = org.assertj.core.api.Assertions.catchThrowable(parse::run);
    assertThat(thrown).isInstanceOf(InvalidRequestException.class);
    return (InvalidRequestException) thrown;
  }

  @Test
  void modelIdOver256Characters_is400StringAboveMaxLength_onEveryEndpoint() throws Exception {
    var model = "\"model\":\"" + LONG_MODEL + "\"";
    var chat = json("{" + model + ",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    var completion = json("{" + model + ",\"prompt\":\"Hi\"}");
    var embedding = json("{" + model + ",\"input\":\"Hi\"}");
    var moderation = json("{" + model + ",\"input\":\"Hi\"}");

    for (var error :
        java.util.List.of(
            invalid(() -> ChatCompletionRequests.parse(chat, "r")),
            invalid(() -> CompletionRequests.parse(completion, "r")),
            invalid(() -> EmbeddingRequests.parse(embedding, "r")),
            invalid(() -> ModerationRequests.parse(moderation, "r")))) {
      assertThat(error.status()).isEqualTo(400);
      assertThat(error.param()).hasValue("model");
      assertThat(error.code()).hasValue("string_above_max_length");
      assertThat(error.getMessage()).hasSizeLessThan(200);
    }
  }

  @Test
  void modelIdOf256Characters_isAccepted() throws Exception {
    var call =
        ChatCompletionRequests.parse(
            json(chat("").replace("\"model\":\"m\"", "\"model\":\"" + "m".repeat(256) + "\"")),
            "r");

    assertThat(call.request().getModel()).hasSize(256);
  }

  @Test
  void modelIdWithControlCharacters_is400() throws Exception {
    var body = json("{\"model\":\"a\\u0000b\",\"input\":\"x\"}");

    var error = invalid(() -> EmbeddingRequests.parse(body, "r"));

    assertThat(error.param()).hasValue("model");
    assertThat(error.code()).hasValue("invalid_value");
  }

  @Test
  void longUser_is400() throws Exception {
    var body = json(chat(",\"user\":\"" + "u".repeat(257) + "\""));

    var error = invalid(() -> ChatCompletionRequests.parse(body, "r"));

    assertThat(error.param()).hasValue("user");
    assertThat(error.code()).hasValue("string_above_max_length");
  }

  @Test
  void longStopString_is400_asStringAndInArray() throws Exception {
    var one = json(chat(",\"stop\":\"" + "s".repeat(257) + "\""));
    var many = json(chat(",\"stop\":[\"a\",\"" + "s".repeat(257) + "\"]"));

    assertThat(invalid(() -> ChatCompletionRequests.parse(one, "r")).param()).hasValue("stop");
    assertThat(invalid(() -> ChatCompletionRequests.parse(many, "r")).param()).hasValue("stop[1]");
  }

  @Test
  void tooManyMessages_is400ArrayAboveMaxLength() throws Exception {
    var messages =
        IntStream.range(0, RequestLimits.MESSAGES + 1)
            .mapToObj(i -> "{\"role\":\"user\",\"content\":\"x\"}")
            .collect(Collectors.joining(",", "[", "]"));
    var body = json("{\"model\":\"m\",\"messages\":" + messages + "}");

    var error = invalid(() -> ChatCompletionRequests.parse(body, "r"));

    assertThat(error.param()).hasValue("messages");
    assertThat(error.code()).hasValue("array_above_max_length");
  }

  @Test
  void tooManyContentParts_is400() throws Exception {
    var parts =
        IntStream.range(0, RequestLimits.CONTENT_PARTS + 1)
            .mapToObj(i -> "{\"type\":\"text\",\"text\":\"x\"}")
            .collect(Collectors.joining(",", "[", "]"));
    var body =
        json("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":" + parts + "}]}");

    var error = invalid(() -> ChatCompletionRequests.parse(body, "r"));

    assertThat(error.param()).hasValue("messages[0].content");
  }

  @Test
  void tooManyLogitBiasEntries_is400() throws Exception {
    var bias =
        IntStream.range(0, RequestLimits.LOGIT_BIAS_ENTRIES + 1)
            .mapToObj(i -> "\"" + i + "\":1")
            .collect(Collectors.joining(",", "{", "}"));
    var body = json(chat(",\"logit_bias\":" + bias));

    assertThat(invalid(() -> ChatCompletionRequests.parse(body, "r")).param())
        .hasValue("logit_bias");
  }

  @Test
  void tooManyModerationInputs_is400() throws Exception {
    var inputs =
        IntStream.range(0, RequestLimits.MODERATION_INPUTS + 1)
            .mapToObj(i -> "\"x\"")
            .collect(Collectors.joining(",", "[", "]"));

    var error = invalid(() -> parseModeration("{\"input\":" + inputs + "}"));

    assertThat(error.param()).hasValue("input");
    assertThat(error.code()).hasValue("array_above_max_length");
  }

  private static void parseModeration(String body) {
    try {
      ModerationRequests.parse(json(body), "r");
    } catch (GatewayException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void promptLargerThanTheGrpcLimit_is413_beforeAnyCall() throws Exception {
    var prompt = "p".repeat(RequestLimits.GRPC_MESSAGE_BYTES);
    var completion = json("{\"model\":\"m\",\"prompt\":\"" + prompt + "\"}");
    var chatBody =
        json("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}]}");
    var embedding = json("{\"model\":\"m\",\"input\":\"" + prompt + "\"}");
    var moderation = json("{\"input\":\"" + prompt + "\"}");

    for (Runnable parse :
        java.util.List.<Runnable>of(
            () -> CompletionRequests.parse(completion, "r"),
            () -> ChatCompletionRequests.parse(chatBody, "r"),
            () -> EmbeddingRequests.parse(embedding, "r"),
            () -> ModerationRequests.parse(moderation, "r"))) {
      assertThatThrownBy(parse::run)
          .isInstanceOfSatisfying(
              GatewayException.class,
              e -> {
                assertThat(e.status()).isEqualTo(413);
                assertThat(e.code()).hasValue("request_too_large");
              });
    }
  }

  @Test
  void errorMessages_repeatAtMostAShortPrefixOfTheClientsValue() throws Exception {
    var role = "r".repeat(100_000);
    var body =
        json("{\"model\":\"m\",\"messages\":[{\"role\":\"" + role + "\",\"content\":\"x\"}]}");

    var error = invalid(() -> ChatCompletionRequests.parse(body, "r"));

    assertThat(error.getMessage()).hasSizeLessThan(300);
  }

  @Test
  void modelPathIdOver256Characters_is404_withoutAskingAnyService() {
    var resource = new ModelsResource(null);

    assertThatThrownBy(() -> resource.model("x".repeat(20_000)))
        .isInstanceOfSatisfying(
            ModelNotFoundException.class,
            e -> {
              assertThat(e.status()).isEqualTo(404);
              assertThat(e.getMessage()).hasSizeLessThan(400);
            });
  }
}
