package io.parley.gateway.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.embeddings.v1.EmbedInput;
import io.parley.embeddings.v1.EmbedRequest;
import io.parley.embeddings.v1.TokenIds;
import io.parley.gateway.domain.InvalidRequestException;
import java.util.List;

/**
 * Parses and validates the body of {@code POST /v1/embeddings}: {@code model}, {@code input} (a
 * string, an array of strings, an array of token ids, or an array of arrays of token ids; every
 * input non-empty, at most {@value #MAX_INPUTS} inputs), {@code encoding_format} ({@code float} or
 * {@code base64}), {@code dimensions} (at least 1; whether the model allows it is the service's
 * call) and {@code user} (a string, not used). Whether an input fits the model is checked by the
 * service.
 */
final class EmbeddingRequests {

  /** Most inputs in one request, as OpenAI allows. */
  static final int MAX_INPUTS = 2048;

  static final List<String> ENCODING_FORMATS = List.of("float", "base64");

  private static final String INPUT_TYPES =
      "a string, an array of strings, an array of integers, or an array of arrays of integers";

  private EmbeddingRequests() {}

  /**
   * @param body the JSON body
   * @param requestId the request id, passed on to the embeddings service
   */
  static EmbeddingCall parse(ObjectNode body, String requestId) {
    var params = new Params(body);
    var request = EmbedRequest.newBuilder().setRequestId(requestId);
    request.setModel(params.model());
    inputs(params.get("input"), request);
    params.integer("dimensions", 1, Integer.MAX_VALUE).ifPresent(request::setDimensions);
    boolean base64 = base64(params);
    params.user();
    return new EmbeddingCall(RequestLimits.fitsGrpc(request.build(), "embeddings"), base64);
  }

  private static void inputs(JsonNode input, EmbedRequest.Builder request) {
    if (input == null) {
      throw Params.missing("input");
    }
    if (input.isTextual()) {
      request.addInputs(text(input, "input"));
      return;
    }
    if (!input.isArray()) {
      throw Params.invalidType("input", INPUT_TYPES, input);
    }
    if (input.isEmpty()) {
      throw Params.empty("input");
    }
    var first = input.get(0);
    if (first.isIntegralNumber()) {
      request.addInputs(EmbedInput.newBuilder().setTokens(tokens(input, "input")));
      return;
    }
    Params.maxItems(input, "input", MAX_INPUTS);
    if (first.isTextual()) {
      for (int i = 0; i < input.size(); i++) {
        var param = "input[" + i + "]";
        var item = input.get(i);
        if (!item.isTextual()) {
          throw Params.invalidType(param, "a string", item);
        }
        request.addInputs(text(item, param));
      }
      return;
    }
    if (first.isArray()) {
      for (int i = 0; i < input.size(); i++) {
        var param = "input[" + i + "]";
        var item = input.get(i);
        if (!item.isArray()) {
          throw Params.invalidType(param, "an array of integers", item);
        }
        if (item.isEmpty()) {
          throw Params.empty(param);
        }
        request.addInputs(EmbedInput.newBuilder().setTokens(tokens(item, param)));
      }
      return;
    }
    throw Params.invalidType("input[0]", "a string, an integer or an array of integers", first);
  }

  private static EmbedInput text(JsonNode node, String param) {
    var text = node.textValue();
    if (text.isEmpty()) {
      throw new InvalidRequestException(
          "Invalid '" + param + "': empty string. Each input must have at least one token.",
          param,
          "invalid_value");
    }
    return EmbedInput.newBuilder().setText(text).build();
  }

  private static TokenIds tokens(JsonNode array, String param) {
    var ids = TokenIds.newBuilder();
    for (int i = 0; i < array.size(); i++) {
      ids.addIds((int) Params.integer(array.get(i), param + "[" + i + "]", 0, Integer.MAX_VALUE));
    }
    return ids.build();
  }

  private static boolean base64(Params params) {
    var node = params.get("encoding_format");
    if (node == null) {
      return false;
    }
    if (!node.isTextual()) {
      throw Params.invalidType("encoding_format", "a string", node);
    }
    return switch (node.textValue()) {
      case "float" -> false;
      case "base64" -> true;
      default -> throw Params.notOneOf("encoding_format", node, ENCODING_FORMATS);
    };
  }
}
