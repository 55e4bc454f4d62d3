package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.gateway.domain.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Validation of chat completion requests: the param and the message a client sees. */
class ChatCompletionRequestsTest {

  private static final String MESSAGES = "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";

  private static ObjectNode body(String json) throws Exception {
    return (ObjectNode) Json.MAPPER.readTree(json);
  }

  private static ChatCompletionCall parse(String extra) throws Exception {
    return ChatCompletionRequests.parse(
        body("{\"model\":\"m\"," + MESSAGES + (extra.isEmpty() ? "" : "," + extra) + "}"), "req_1");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "\"temperature\":\"a\"|temperature|Invalid type for 'temperature': expected a number, but got a string instead.",
        "\"temperature\":3|temperature|3 is greater than the maximum of 2 - 'temperature'",
        "\"top_p\":-0.5|top_p|-0.5 is less than the minimum of 0 - 'top_p'",
        "\"max_tokens\":0|max_tokens|0 is less than the minimum of 1 - 'max_tokens'",
        "\"max_tokens\":1.5|max_tokens|Invalid type for 'max_tokens': expected an integer, but got a decimal instead.",
        "\"max_completion_tokens\":-1|max_completion_tokens|-1 is less than the minimum of 1 - 'max_completion_tokens'",
        "\"n\":129|n|129 is greater than the maximum of 128 - 'n'",
        "\"presence_penalty\":2.5|presence_penalty|2.5 is greater than the maximum of 2 - 'presence_penalty'",
        "\"frequency_penalty\":-3|frequency_penalty|-3 is less than the minimum of -2 - 'frequency_penalty'",
        "\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]|stop|Invalid 'stop': array too long. Expected an array with maximum length 4, but got an array with length 5 instead.",
        "\"stop\":5|stop|Invalid type for 'stop': expected a string or an array of strings, but got an integer instead.",
        "\"logit_bias\":{\"x\":1}|logit_bias|Invalid key in 'logit_bias': x. You should only be submitting non-negative integers.",
        "\"logit_bias\":{\"42\":101}|logit_bias.42|101 is greater than the maximum of 100 - 'logit_bias.42'",
        "\"top_logprobs\":3|top_logprobs|Invalid value for 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is set.",
        "\"logprobs\":true,\"top_logprobs\":21|top_logprobs|21 is greater than the maximum of 20 - 'top_logprobs'",
        "\"logprobs\":\"yes\"|logprobs|Invalid type for 'logprobs': expected a boolean, but got a string instead.",
        "\"stream_options\":{\"include_usage\":true}|stream_options|The 'stream_options' parameter is only allowed when 'stream' is enabled.",
        "\"seed\":\"1\"|seed|Invalid type for 'seed': expected an integer, but got a string instead.",
        "\"user\":1|user|Invalid type for 'user': expected a string, but got an integer instead.",
        "\"tools\":[{\"type\":\"function\"}]|tools|Tools (function calling) are not supported.",
        "\"response_format\":{\"type\":\"json_object\"}|response_format|Only the 'text' response format is supported (no JSON mode or structured outputs).",
      })
  void invalidParameter_isRejectedWithParamAndMessage(String extra, String param, String message) {
    assertThatThrownBy(() -> parse(extra))
        .isInstanceOfSatisfying(
            InvalidRequestException.class,
            e -> {
              assertThat(e.param()).contains(param);
              assertThat(e.getMessage()).isEqualTo(message);
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.type()).isEqualTo("invalid_request_error");
            });
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}|model|'model' is a required property",
        "{\"model\":\"m\"}|messages|'messages' is a required property",
        "{\"model\":\"m\",\"messages\":[]}|messages|[] is too short - 'messages'",
        "{\"model\":\"m\",\"messages\":\"Hi\"}|messages|Invalid type for 'messages': expected an array, but got a string instead.",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"bot\",\"content\":\"Hi\"}]}|messages[0].role|'bot' is not one of ['system', 'developer', 'user', 'assistant', 'tool'] - 'messages[0].role'",
        "{\"model\":\"m\",\"messages\":[{\"content\":\"Hi\"}]}|messages[0].role|'messages[0].role' is a required property",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}]}|messages[0].content|'messages[0].content' is a required property",
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\"}]}]}|messages[0].content[0].type|Invalid content type. Only text content parts are supported, but got 'image_url'.",
        "{\"model\":7,\"messages\":[]}|model|Invalid type for 'model': expected a string, but got an integer instead.",
      })
  void invalidBody_isRejectedWithParamAndMessage(String json, String param, String message) {
    assertThatThrownBy(() -> ChatCompletionRequests.parse(body(json), "req_1"))
        .isInstanceOfSatisfying(
            InvalidRequestException.class,
            e -> {
              assertThat(e.param()).contains(param);
              assertThat(e.getMessage()).isEqualTo(message);
            });
  }

  @Test
  void validRequest_becomesTheInferenceRequest() throws Exception {
    var call =
        ChatCompletionRequests.parse(
            body(
                """
                {"model":"m","messages":[{"role":"system","content":"Be brief."},
                  {"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},
                  {"role":"assistant","content":null}],
                 "max_tokens":5,"max_completion_tokens":7,"temperature":0.5,"top_p":0.9,"n":3,
                 "stop":"END","presence_penalty":1,"frequency_penalty":-1,"logit_bias":{"42":-100},
                 "logprobs":true,"top_logprobs":2,"seed":7,"stream":true,
                 "stream_options":{"include_usage":true},"user":"u","unknown_field":1,
                 "tool_choice":"none","response_format":{"type":"text"},"store":false}"""),
            "req_1");

    var request = call.request();
    assertThat(request.getRequestId()).isEqualTo("req_1");
    assertThat(request.getChat().getMessagesList())
        .extracting(m -> m.getRole() + ":" + m.getContent())
        .containsExactly("system:Be brief.", "user:a\nb", "assistant:");
    assertThat(request.getMaxTokens()).isEqualTo(7);
    assertThat(request.getN()).isEqualTo(3);
    assertThat(request.getBestOf()).isEqualTo(3);
    assertThat(request.getStopList()).containsExactly("END");
    assertThat(request.getSampling().getTemperature()).isEqualTo(0.5);
    assertThat(request.getSampling().getTopP()).isEqualTo(0.9);
    assertThat(request.getSampling().getPresencePenalty()).isEqualTo(1);
    assertThat(request.getSampling().getFrequencyPenalty()).isEqualTo(-1);
    assertThat(request.getSampling().getLogitBiasMap()).containsEntry(42, -100.0);
    assertThat(request.getSampling().getSeed()).isEqualTo(7);
    assertThat(request.getLogprobs()).isEqualTo(2);
    assertThat(call.stream()).isTrue();
    assertThat(call.includeUsage()).isTrue();
    assertThat(call.logprobs()).isTrue();
  }

  @Test
  void defaults_areOpenAis() throws Exception {
    var call = parse("");

    var request = call.request();
    assertThat(request.hasMaxTokens()).isFalse();
    assertThat(request.getN()).isEqualTo(1);
    assertThat(request.getSampling().getTemperature()).isEqualTo(1);
    assertThat(request.getSampling().getTopP()).isEqualTo(1);
    assertThat(request.hasLogprobs()).isFalse();
    assertThat(request.getSampling().hasSeed()).isFalse();
    assertThat(call.stream()).isFalse();
  }

  @Test
  void nullParameters_countAsAbsent() throws Exception {
    var call = parse("\"temperature\":null,\"stop\":null,\"max_tokens\":null,\"stream\":null");

    assertThat(call.request().getSampling().getTemperature()).isEqualTo(1);
    assertThat(call.request().getStopCount()).isZero();
  }
}
