package io.parley.gateway.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.gateway.domain.InvalidRequestException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * Typed, validated access to the fields of a JSON request body. A field that is absent or {@code
 * null} is "not given" (OpenAI accepts null for every optional parameter). Every problem is an
 * {@link InvalidRequestException} naming the parameter, with OpenAI's wording.
 */
final class Params {

  private final ObjectNode body;

  Params(ObjectNode body) {
    this.body = body;
  }

  /** The field, or {@code null} when absent or JSON null. */
  JsonNode get(String name) {
    var node = body.get(name);
    return node == null || node.isNull() ? null : node;
  }

  boolean has(String name) {
    return get(name) != null;
  }

  String requiredString(String name) {
    var node = get(name);
    if (node == null) {
      throw missing(name);
    }
    return string(node, name);
  }

  Optional<String> string(String name) {
    var node = get(name);
    return node == null ? Optional.empty() : Optional.of(string(node, name));
  }

  /** A string of at most {@code maxChars} characters. */
  Optional<String> string(String name, int maxChars) {
    var node = get(name);
    return node == null ? Optional.empty() : Optional.of(string(node, name, maxChars));
  }

  /** The required {@code model}: a model id (bounded, no control characters). */
  String model() {
    var node = get("model");
    if (node == null) {
      throw missing("model");
    }
    return modelId(node, "model");
  }

  /** The optional {@code model}. */
  Optional<String> optionalModel() {
    var node = get("model");
    return node == null ? Optional.empty() : Optional.of(modelId(node, "model"));
  }

  /** Validates {@code user}: a string of at most {@value RequestLimits#USER_CHARS} characters. */
  void user() {
    string("user", RequestLimits.USER_CHARS);
  }

  Optional<Boolean> bool(String name) {
    var node = get(name);
    if (node == null) {
      return Optional.empty();
    }
    if (!node.isBoolean()) {
      throw invalidType(name, "a boolean", node);
    }
    return Optional.of(node.booleanValue());
  }

  OptionalDouble number(String name, double min, double max) {
    var node = get(name);
    return node == null ? OptionalDouble.empty() : OptionalDouble.of(number(node, name, min, max));
  }

  OptionalInt integer(String name, long min, long max) {
    var node = get(name);
    return node == null ? OptionalInt.empty() : OptionalInt.of((int) integer(node, name, min, max));
  }

  Optional<Long> longInteger(String name) {
    var node = get(name);
    return node == null
        ? Optional.empty()
        : Optional.of(integer(node, name, Long.MIN_VALUE, Long.MAX_VALUE));
  }

  /** {@code stop}: a string or an array of at most 4 strings; empty strings are dropped. */
  List<String> stop() {
    var node = get("stop");
    var stops = new ArrayList<String>();
    if (node == null) {
      return stops;
    }
    if (node.isTextual()) {
      var text = string(node, "stop", RequestLimits.STOP_CHARS);
      if (!text.isEmpty()) {
        stops.add(text);
      }
      return stops;
    }
    if (!node.isArray()) {
      throw invalidType("stop", "a string or an array of strings", node);
    }
    maxItems(node, "stop", 4);
    for (int i = 0; i < node.size(); i++) {
      var text = string(node.get(i), "stop[" + i + "]", RequestLimits.STOP_CHARS);
      if (!text.isEmpty()) {
        stops.add(text);
      }
    }
    return stops;
  }

  /** {@code logit_bias}: token id (as a string) → bias in [-100, 100]. */
  Map<Integer, Double> logitBias() {
    var node = get("logit_bias");
    var biases = new LinkedHashMap<Integer, Double>();
    if (node == null) {
      return biases;
    }
    if (!node.isObject()) {
      throw invalidType("logit_bias", "an object", node);
    }
    if (node.size() > RequestLimits.LOGIT_BIAS_ENTRIES) {
      throw new InvalidRequestException(
          "Invalid 'logit_bias': too many entries. Expected at most "
              + RequestLimits.LOGIT_BIAS_ENTRIES
              + ", but got "
              + node.size()
              + " instead.",
          "logit_bias",
          "invalid_value");
    }
    for (var field : node.properties()) {
      int token;
      try {
        token = Integer.parseInt(field.getKey());
      } catch (NumberFormatException e) {
        token = -1;
      }
      if (token < 0) {
        throw new InvalidRequestException(
            "Invalid key in 'logit_bias': "
                + RequestLimits.shown(field.getKey())
                + ". You should only be submitting non-negative integers.",
            "logit_bias",
            "invalid_value");
      }
      biases.put(token, number(field.getValue(), "logit_bias." + token, -100, 100));
    }
    return biases;
  }

  /** Fails when a parameter this release does not implement is given. */
  void unsupported(String name, String message) {
    if (has(name)) {
      throw new InvalidRequestException(message, name, "unsupported_parameter");
    }
  }

  static String string(JsonNode node, String param) {
    if (!node.isTextual()) {
      throw invalidType(param, "a string", node);
    }
    return node.textValue();
  }

  /** A string of at most {@code maxChars} characters. */
  static String string(JsonNode node, String param, int maxChars) {
    var text = string(node, param);
    if (text.length() > maxChars) {
      throw tooLong(param, maxChars, text.length());
    }
    return text;
  }

  /**
   * A model id: a string of at most {@value RequestLimits#MODEL_ID_CHARS} characters without
   * control characters, so it fits every store and header it reaches.
   */
  static String modelId(JsonNode node, String param) {
    var id = string(node, param, RequestLimits.MODEL_ID_CHARS);
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        throw new InvalidRequestException(
            "Invalid '" + param + "': a model id cannot contain control characters.",
            param,
            "invalid_value");
      }
    }
    return id;
  }

  static InvalidRequestException tooLong(String param, int max, int length) {
    return new InvalidRequestException(
        "Invalid '"
            + param
            + "': string too long. Expected a string with maximum length "
            + max
            + ", but got a string with length "
            + length
            + " instead.",
        param,
        "string_above_max_length");
  }

  static double number(JsonNode node, String param, double min, double max) {
    if (!node.isNumber()) {
      throw invalidType(param, "a number", node);
    }
    double value = node.doubleValue();
    if (value < min) {
      throw new InvalidRequestException(
          shown(node) + " is less than the minimum of " + format(min) + " - '" + param + "'",
          param,
          "decimal_below_min_value");
    }
    if (value > max) {
      throw new InvalidRequestException(
          shown(node) + " is greater than the maximum of " + format(max) + " - '" + param + "'",
          param,
          "decimal_above_max_value");
    }
    return value;
  }

  static long integer(JsonNode node, String param, long min, long max) {
    if (!node.isIntegralNumber()) {
      throw invalidType(param, "an integer", node);
    }
    var value = node.bigIntegerValue();
    if (value.compareTo(java.math.BigInteger.valueOf(min)) < 0) {
      throw new InvalidRequestException(
          shown(node) + " is less than the minimum of " + min + " - '" + param + "'",
          param,
          "integer_below_min_value");
    }
    if (value.compareTo(java.math.BigInteger.valueOf(max)) > 0) {
      throw new InvalidRequestException(
          shown(node) + " is greater than the maximum of " + max + " - '" + param + "'",
          param,
          "integer_above_max_value");
    }
    return value.longValue();
  }

  static void maxItems(JsonNode array, String param, int max) {
    if (array.size() > max) {
      throw new InvalidRequestException(
          "Invalid '"
              + param
              + "': array too long. Expected an array with maximum length "
              + max
              + ", but got an array with length "
              + array.size()
              + " instead.",
          param,
          "array_above_max_length");
    }
  }

  static InvalidRequestException missing(String param) {
    return new InvalidRequestException(
        "'" + param + "' is a required property", param, "missing_required_parameter");
  }

  static InvalidRequestException empty(String param) {
    return new InvalidRequestException("[] is too short - '" + param + "'", param, "empty_array");
  }

  static InvalidRequestException invalidType(String param, String expected, JsonNode actual) {
    return new InvalidRequestException(
        "Invalid type for '"
            + param
            + "': expected "
            + expected
            + ", but got "
            + describe(actual)
            + " instead.",
        param,
        "invalid_type");
  }

  static InvalidRequestException notOneOf(String param, JsonNode actual, List<String> allowed) {
    var list = new StringBuilder("[");
    for (int i = 0; i < allowed.size(); i++) {
      list.append(i == 0 ? "'" : ", '").append(allowed.get(i)).append('\'');
    }
    list.append(']');
    var shown =
        actual.isTextual() ? "'" + RequestLimits.shown(actual.textValue()) + "'" : shown(actual);
    return new InvalidRequestException(
        shown + " is not one of " + list + " - '" + param + "'", param, "invalid_value");
  }

  /** A JSON value as an error message may repeat it (shortened). */
  static String shown(JsonNode node) {
    return RequestLimits.shown(node.toString());
  }

  /** OpenAI's name for the type of a JSON value ("a string", "a decimal", …). */
  static String describe(JsonNode node) {
    return switch (node.getNodeType()) {
      case STRING -> "a string";
      case NUMBER -> node.isIntegralNumber() ? "an integer" : "a decimal";
      case BOOLEAN -> "a boolean";
      case OBJECT -> "an object";
      case ARRAY -> "an array";
      case NULL -> "null";
      default -> "an unsupported value";
    };
  }

  private static String format(double limit) {
    return limit == Math.rint(limit) ? Long.toString((long) limit) : Double.toString(limit);
  }
}
