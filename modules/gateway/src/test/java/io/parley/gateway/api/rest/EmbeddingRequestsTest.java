package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.embeddings.v1.EmbedInput;
import io.parley.gateway.domain.InvalidRequestException;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Parsing and validating {@code POST /v1/embeddings} bodies: every input shape, every error. */
class EmbeddingRequestsTest {

  private static EmbeddingCall parse(String json) throws Exception {
    return EmbeddingRequests.parse((ObjectNode) Json.MAPPER.readTree(json), "req_1");
  }

  private static EmbeddingCall parseInput(String input) throws Exception {
    return parse("{\"model\":\"mini\",\"input\":" + input + "}");
  }

  private static List<String> texts(EmbeddingCall call) {
    return call.request().getInputsList().stream().map(EmbedInput::getText).toList();
  }

  private static List<List<Integer>> tokens(EmbeddingCall call) {
    return call.request().getInputsList().stream().map(i -> i.getTokens().getIdsList()).toList();
  }

  @Test
  void stringInput_isOneTextInput_withDefaults() throws Exception {
    var call = parseInput("\"hello world\"");

    assertThat(texts(call)).containsExactly("hello world");
    assertThat(call.request().getModel()).isEqualTo("mini");
    assertThat(call.request().getRequestId()).isEqualTo("req_1");
    assertThat(call.request().hasDimensions()).isFalse();
    assertThat(call.base64()).isFalse();
  }

  @Test
  void arrayOfStrings_isOneInputEach_inOrder() throws Exception {
    assertThat(texts(parseInput("[\"a\",\"b\",\"c\"]"))).containsExactly("a", "b", "c");
  }

  @Test
  void arrayOfIntegers_isOneTokenInput() throws Exception {
    var call = parseInput("[1, 2, 3]");

    assertThat(call.request().getInputsCount()).isEqualTo(1);
    assertThat(tokens(call)).containsExactly(List.of(1, 2, 3));
  }

  @Test
  void arrayOfTokenArrays_isOneTokenInputEach() throws Exception {
    assertThat(tokens(parseInput("[[1],[2,3]]"))).containsExactly(List.of(1), List.of(2, 3));
  }

  @Test
  void encodingFormatAndDimensionsAndUser_areRead() throws Exception {
    var call =
        parse(
            "{\"model\":\"mini\",\"input\":\"x\",\"encoding_format\":\"base64\",\"dimensions\":2,"
                + "\"user\":\"u-1\"}");

    assertThat(call.base64()).isTrue();
    assertThat(call.request().getDimensions()).isEqualTo(2);
    assertThat(parse("{\"model\":\"m\",\"input\":\"x\",\"encoding_format\":\"float\"}").base64())
        .isFalse();
    assertThat(
            parse("{\"model\":\"m\",\"input\":\"x\",\"encoding_format\":null,\"dimensions\":null}")
                .base64())
        .isFalse();
  }

  @Test
  void twoThousandFortyEightInputs_areAccepted_oneMoreIsNot() throws Exception {
    var inputs =
        IntStream.range(0, 2048).mapToObj(i -> "\"t" + i + "\"").collect(Collectors.joining(","));

    assertThat(parseInput("[" + inputs + "]").request().getInputsCount()).isEqualTo(2048);
    assertThatThrownBy(() -> parseInput("[" + inputs + ",\"one more\"]"))
        .isInstanceOfSatisfying(
            InvalidRequestException.class,
            e -> {
              assertThat(e.param()).hasValue("input");
              assertThat(e.code()).hasValue("array_above_max_length");
            });
  }

  @Test
  void longTokenArray_isOneInput_notLimitedTo2048() throws Exception {
    var ids = IntStream.range(0, 3000).mapToObj(Integer::toString).collect(Collectors.joining(","));

    assertThat(tokens(parseInput("[" + ids + "]")).getFirst()).hasSize(3000);
  }

  @ParameterizedTest(name = "{0} -> {1} {2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"input\":\"x\"}|model|missing_required_parameter",
        "{\"model\":\"m\"}|input|missing_required_parameter",
        "{\"model\":\"m\",\"input\":null}|input|missing_required_parameter",
        "{\"model\":7,\"input\":\"x\"}|model|invalid_type",
        "{\"model\":\"m\",\"input\":42}|input|invalid_type",
        "{\"model\":\"m\",\"input\":{\"text\":\"x\"}}|input|invalid_type",
        "{\"model\":\"m\",\"input\":true}|input|invalid_type",
        "{\"model\":\"m\",\"input\":\"\"}|input|invalid_value",
        "{\"model\":\"m\",\"input\":[]}|input|empty_array",
        "{\"model\":\"m\",\"input\":[\"a\",\"\"]}|input[1]|invalid_value",
        "{\"model\":\"m\",\"input\":[\"a\",1]}|input[1]|invalid_type",
        "{\"model\":\"m\",\"input\":[\"a\",[1]]}|input[1]|invalid_type",
        "{\"model\":\"m\",\"input\":[1,\"a\"]}|input[1]|invalid_type",
        "{\"model\":\"m\",\"input\":[1,2.5]}|input[1]|invalid_type",
        "{\"model\":\"m\",\"input\":[1,-1]}|input[1]|integer_below_min_value",
        "{\"model\":\"m\",\"input\":[1,2147483648]}|input[1]|integer_above_max_value",
        "{\"model\":\"m\",\"input\":[[1],[]]}|input[1]|empty_array",
        "{\"model\":\"m\",\"input\":[[1],2]}|input[1]|invalid_type",
        "{\"model\":\"m\",\"input\":[[1],[\"a\"]]}|input[1][0]|invalid_type",
        "{\"model\":\"m\",\"input\":[{\"a\":1}]}|input[0]|invalid_type",
        "{\"model\":\"m\",\"input\":[null]}|input[0]|invalid_type",
        "{\"model\":\"m\",\"input\":[1.5]}|input[0]|invalid_type",
        "{\"model\":\"m\",\"input\":\"x\",\"encoding_format\":\"binary\"}|encoding_format|invalid_value",
        "{\"model\":\"m\",\"input\":\"x\",\"encoding_format\":1}|encoding_format|invalid_type",
        "{\"model\":\"m\",\"input\":\"x\",\"dimensions\":0}|dimensions|integer_below_min_value",
        "{\"model\":\"m\",\"input\":\"x\",\"dimensions\":\"8\"}|dimensions|invalid_type",
        "{\"model\":\"m\",\"input\":\"x\",\"dimensions\":1.5}|dimensions|invalid_type",
        "{\"model\":\"m\",\"input\":\"x\",\"user\":5}|user|invalid_type",
      })
  void badRequest_is400NamingTheParameter(String json, String param, String code) {
    assertThatThrownBy(() -> parse(json))
        .isInstanceOfSatisfying(
            InvalidRequestException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.param()).hasValue(param);
              assertThat(e.code()).hasValue(code);
            });
  }

  @Test
  void badInputType_saysWhatIsAccepted() {
    assertThatThrownBy(() -> parseInput("42"))
        .hasMessage(
            "Invalid type for 'input': expected a string, an array of strings, an array of"
                + " integers, or an array of arrays of integers, but got an integer instead.");
    assertThatThrownBy(() -> parseInput("\"\""))
        .hasMessage("Invalid 'input': empty string. Each input must have at least one token.");
    assertThatThrownBy(
            () -> parse("{\"model\":\"m\",\"input\":\"x\",\"encoding_format\":\"binary\"}"))
        .hasMessage("'binary' is not one of ['float', 'base64'] - 'encoding_format'");
  }
}
