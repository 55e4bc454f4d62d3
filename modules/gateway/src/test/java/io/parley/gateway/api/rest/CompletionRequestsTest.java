package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.inference.v1.GenerateRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Legacy completion requests: prompt forms (fan-out), legacy defaults and rules. */
class CompletionRequestsTest {

  private static CompletionCall parse(String fields) throws Exception {
    return CompletionRequests.parse(
        (ObjectNode) Json.MAPPER.readTree("{\"model\":\"m\"," + fields + "}"), "req_1");
  }

  @Test
  void stringPrompt_isOneTextPromptWithLegacyDefaults() throws Exception {
    var call = parse("\"prompt\":\"Once\"");

    assertThat(call.prompts()).hasSize(1);
    var request = call.prompts().getFirst();
    assertThat(request.getText().getText()).isEqualTo("Once");
    assertThat(request.getText().hasSuffix()).isFalse();
    assertThat(request.getMaxTokens()).isEqualTo(16);
    assertThat(request.getN()).isEqualTo(1);
    assertThat(request.getBestOf()).isEqualTo(1);
    assertThat(request.hasLogprobs()).isFalse();
    assertThat(request.getModel()).isEqualTo("m");
  }

  @Test
  void arrayOfStrings_isOnePromptEach_withTheSameParameters() throws Exception {
    var call =
        parse(
            "\"prompt\":[\"a\",\"b\",\"c\"],\"n\":2,\"best_of\":3,\"echo\":true,\"logprobs\":0,"
                + "\"suffix\":null,\"max_tokens\":0,\"stop\":[\"\\n\"]");

    assertThat(call.prompts())
        .extracting(p -> p.getText().getText())
        .containsExactly("a", "b", "c");
    for (GenerateRequest request : call.prompts()) {
      assertThat(request.getN()).isEqualTo(2);
      assertThat(request.getBestOf()).isEqualTo(3);
      assertThat(request.getEcho()).isTrue();
      assertThat(request.getLogprobs()).isZero();
      assertThat(request.getMaxTokens()).isZero();
      assertThat(request.getStopList()).containsExactly("\n");
      assertThat(request.getRequestId()).isEqualTo("req_1");
    }
    assertThat(call.logprobs()).isTrue();
  }

  @Test
  void tokenArrays_areTokenPrompts() throws Exception {
    assertThat(parse("\"prompt\":[1,2,3]").prompts())
        .singleElement()
        .satisfies(p -> assertThat(p.getTokens().getTokensList()).containsExactly(1, 2, 3));
    assertThat(parse("\"prompt\":[[1],[2,3]]").prompts())
        .extracting(p -> p.getTokens().getTokensList())
        .containsExactly(java.util.List.of(1), java.util.List.of(2, 3));
  }

  @Test
  void suffix_goesWithTheTextPrompt() throws Exception {
    var request = parse("\"prompt\":\"def f(\",\"suffix\":\"return x\"").prompts().getFirst();

    assertThat(request.getText().getSuffix()).isEqualTo("return x");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "\"n\":1|prompt|'prompt' is a required property",
        "\"prompt\":[]|prompt|[] is too short - 'prompt'",
        "\"prompt\":{}|prompt|Invalid type for 'prompt': expected a string, an array of strings, an array of integers or an array of arrays of integers, but got an object instead.",
        "\"prompt\":[\"a\",1]|prompt|Invalid type for 'prompt': expected a string, an array of strings, an array of integers or an array of arrays of integers, but got an array instead.",
        "\"prompt\":[1,-2]|prompt[1]|-2 is less than the minimum of 0 - 'prompt[1]'",
        "\"prompt\":\"x\",\"max_tokens\":-1|max_tokens|-1 is less than the minimum of 0 - 'max_tokens'",
        "\"prompt\":\"x\",\"logprobs\":6|logprobs|6 is greater than the maximum of 5 - 'logprobs'",
        "\"prompt\":\"x\",\"best_of\":21|best_of|21 is greater than the maximum of 20 - 'best_of'",
        "\"prompt\":\"x\",\"n\":3,\"best_of\":2|best_of|best_of must be greater than or equal to n.",
        "\"prompt\":\"x\",\"best_of\":2,\"stream\":true|best_of|Cannot stream results when 'best_of' is greater than 'n'.",
        "\"prompt\":[1],\"suffix\":\"s\"|suffix|'suffix' is only supported with text prompts.",
        "\"prompt\":\"x\",\"suffix\":\"s\",\"echo\":true|suffix|'echo' and 'suffix' cannot be used together.",
        "\"prompt\":\"x\",\"echo\":1|echo|Invalid type for 'echo': expected a boolean, but got an integer instead.",
      })
  void invalidRequest_isRejectedWithParamAndMessage(String fields, String param, String message) {
    assertThatThrownBy(() -> parse(fields))
        .isInstanceOfSatisfying(
            InvalidRequestException.class,
            e -> {
              assertThat(e.param()).contains(param);
              assertThat(e.getMessage()).isEqualTo(message);
            });
  }

  @Test
  void moreThanTwentyPrompts_isRejected() {
    var prompts = "\"p\",".repeat(20) + "\"p\"";
    assertThatThrownBy(() -> parse("\"prompt\":[" + prompts + "]"))
        .isInstanceOfSatisfying(
            InvalidRequestException.class, e -> assertThat(e.param()).contains("prompt"));
  }
}
