package io.parley.gateway.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.safety.v1.ModerateRequest;

/**
 * Parses and validates the body of {@code POST /v1/moderations}: {@code input} (a string or an
 * array of strings; content parts, text or image, are refused) and {@code model} (optional: the
 * service's default). At most {@value RequestLimits#MODERATION_INPUTS} inputs and one gRPC message
 * here; the service may allow fewer inputs and caps each one's length.
 */
final class ModerationRequests {

  private ModerationRequests() {}

  /**
   * @param body the JSON body
   * @param requestId the request id, passed on to the safety service
   */
  static ModerateRequest parse(ObjectNode body, String requestId) {
    var params = new Params(body);
    var request = ModerateRequest.newBuilder().setRequestId(requestId);
    params.optionalModel().ifPresent(request::setModel);
    var input = params.get("input");
    if (input == null) {
      throw Params.missing("input");
    }
    if (input.isTextual()) {
      return RequestLimits.fitsGrpc(request.addInputs(input.textValue()).build(), "safety");
    }
    if (!input.isArray()) {
      throw Params.invalidType("input", "a string or an array of strings", input);
    }
    if (input.isEmpty()) {
      throw Params.empty("input");
    }
    Params.maxItems(input, "input", RequestLimits.MODERATION_INPUTS);
    for (int i = 0; i < input.size(); i++) {
      var item = input.get(i);
      if (item.isObject()) {
        throw contentPart(item, i);
      }
      if (!item.isTextual()) {
        throw Params.invalidType("input[" + i + "]", "a string", item);
      }
      request.addInputs(item.textValue());
    }
    return RequestLimits.fitsGrpc(request.build(), "safety");
  }

  private static InvalidRequestException contentPart(JsonNode part, int index) {
    var type = RequestLimits.shown(part.path("type").asText(""));
    return new InvalidRequestException(
        "Invalid 'input["
            + index
            + "]': content parts"
            + (type.isEmpty() ? "" : " (type '" + type + "')")
            + " are not supported; only text is. Send 'input' as a string or an array of strings.",
        "input",
        "invalid_value");
  }
}
