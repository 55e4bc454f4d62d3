package io.parley.gateway.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.inference.v1.ChatMessage;
import io.parley.inference.v1.ChatPrompt;
import io.parley.inference.v1.GenerateRequest;
import java.util.List;

/** Parses and validates the body of {@code POST /v1/chat/completions}. */
final class ChatCompletionRequests {

  static final List<String> ROLES = List.of("system", "developer", "user", "assistant", "tool");

  private ChatCompletionRequests() {}

  /**
   * @param body the JSON body
   * @param requestId the request id, passed on to inference
   */
  static ChatCompletionCall parse(ObjectNode body, String requestId) {
    var params = new Params(body);
    var request = GenerateRequest.newBuilder().setRequestId(requestId);
    request.setModel(params.model());
    request.setChat(messages(params));

    var maxTokens = params.integer("max_tokens", 1, Integer.MAX_VALUE);
    var maxCompletionTokens = params.integer("max_completion_tokens", 1, Integer.MAX_VALUE);
    if (maxCompletionTokens.isPresent()) {
      request.setMaxTokens(maxCompletionTokens.getAsInt());
    } else if (maxTokens.isPresent()) {
      request.setMaxTokens(maxTokens.getAsInt());
    }
    CommonParams.apply(params, request);
    request.setBestOf(request.getN());

    boolean logprobs = params.bool("logprobs").orElse(false);
    var topLogprobs = params.integer("top_logprobs", 0, 20);
    if (topLogprobs.isPresent() && !logprobs) {
      throw new InvalidRequestException(
          "Invalid value for 'top_logprobs': 'logprobs' must be set to true when 'top_logprobs' is"
              + " set.",
          "top_logprobs",
          "invalid_value");
    }
    if (logprobs) {
      request.setLogprobs(topLogprobs.orElse(0));
    }

    boolean stream = CommonParams.stream(params);
    boolean includeUsage = CommonParams.includeUsage(params, stream);
    rejectUnsupported(params);
    return new ChatCompletionCall(
        RequestLimits.fitsGrpc(request.build(), "inference"), stream, includeUsage, logprobs);
  }

  private static ChatPrompt messages(Params params) {
    var node = params.get("messages");
    if (node == null) {
      throw Params.missing("messages");
    }
    if (!node.isArray()) {
      throw Params.invalidType("messages", "an array", node);
    }
    if (node.isEmpty()) {
      throw Params.empty("messages");
    }
    Params.maxItems(node, "messages", RequestLimits.MESSAGES);
    var prompt = ChatPrompt.newBuilder();
    for (int i = 0; i < node.size(); i++) {
      prompt.addMessages(message(node.get(i), "messages[" + i + "]"));
    }
    return prompt.build();
  }

  private static ChatMessage message(JsonNode node, String param) {
    if (!node.isObject()) {
      throw Params.invalidType(param, "an object", node);
    }
    var roleNode = node.get("role");
    if (roleNode == null || roleNode.isNull()) {
      throw Params.missing(param + ".role");
    }
    var role = Params.string(roleNode, param + ".role");
    if (!ROLES.contains(role)) {
      throw Params.notOneOf(param + ".role", roleNode, ROLES);
    }
    var toolCalls = node.get("tool_calls");
    if (toolCalls != null && !toolCalls.isNull() && !toolCalls.isEmpty()) {
      throw new InvalidRequestException(
          "Tool calls are not supported.", param + ".tool_calls", "unsupported_parameter");
    }
    var contentNode = node.get("content");
    String content;
    if (contentNode == null || contentNode.isNull()) {
      if (!role.equals("assistant")) {
        throw Params.missing(param + ".content");
      }
      content = "";
    } else {
      content = content(contentNode, param + ".content");
    }
    return ChatMessage.newBuilder().setRole(role).setContent(content).build();
  }

  /** A string, or an array of {@code {"type":"text","text":...}} parts joined by newlines. */
  private static String content(JsonNode node, String param) {
    if (node.isTextual()) {
      return node.textValue();
    }
    if (!node.isArray()) {
      throw Params.invalidType(param, "a string or an array of content parts", node);
    }
    if (node.isEmpty()) {
      throw Params.empty(param);
    }
    Params.maxItems(node, param, RequestLimits.CONTENT_PARTS);
    var text = new StringBuilder();
    for (int j = 0; j < node.size(); j++) {
      var part = node.get(j);
      var partParam = param + "[" + j + "]";
      if (!part.isObject()) {
        throw Params.invalidType(partParam, "an object", part);
      }
      var type = part.get("type");
      if (type == null || type.isNull()) {
        throw Params.missing(partParam + ".type");
      }
      if (!"text".equals(Params.string(type, partParam + ".type"))) {
        throw new InvalidRequestException(
            "Invalid content type. Only text content parts are supported, but got '"
                + RequestLimits.shown(type.textValue())
                + "'.",
            partParam + ".type",
            "invalid_value");
      }
      var partText = part.get("text");
      if (partText == null || partText.isNull()) {
        throw Params.missing(partParam + ".text");
      }
      if (j > 0) {
        text.append('\n');
      }
      text.append(Params.string(partText, partParam + ".text"));
    }
    return text.toString();
  }

  private static void rejectUnsupported(Params params) {
    var tools = params.get("tools");
    if (tools != null && !(tools.isArray() && tools.isEmpty())) {
      params.unsupported("tools", "Tools (function calling) are not supported.");
    }
    var toolChoice = params.get("tool_choice");
    if (toolChoice != null && !(toolChoice.isTextual() && toolChoice.textValue().equals("none"))) {
      params.unsupported("tool_choice", "Tools (function calling) are not supported.");
    }
    params.unsupported("functions", "Functions (function calling) are not supported.");
    var functionCall = params.get("function_call");
    if (functionCall != null
        && !(functionCall.isTextual() && functionCall.textValue().equals("none"))) {
      params.unsupported("function_call", "Functions (function calling) are not supported.");
    }
    var responseFormat = params.get("response_format");
    if (responseFormat != null) {
      var type = responseFormat.isObject() ? responseFormat.get("type") : null;
      if (type == null || !type.isTextual() || !type.textValue().equals("text")) {
        params.unsupported(
            "response_format",
            "Only the 'text' response format is supported (no JSON mode or structured outputs).");
      }
    }
    var modalities = params.get("modalities");
    if (modalities != null
        && !(modalities.isArray()
            && modalities.size() == 1
            && "text".equals(modalities.get(0).asText()))) {
      params.unsupported("modalities", "Only the 'text' modality is supported.");
    }
    params.unsupported("audio", "Audio output is not supported.");
    params.unsupported("prediction", "Predicted outputs are not supported.");
    params.unsupported("web_search_options", "Web search is not supported.");
    params.unsupported(
        "reasoning_effort",
        "Unsupported parameter: 'reasoning_effort' is not supported with this model.");
  }
}
