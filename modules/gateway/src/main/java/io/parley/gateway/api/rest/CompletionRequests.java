package io.parley.gateway.api.rest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.TextPrompt;
import io.parley.inference.v1.TokenPrompt;
import java.util.ArrayList;
import java.util.List;

/** Parses and validates the body of {@code POST /v1/completions} (the legacy API). */
final class CompletionRequests {

  /** Most prompts in one request. */
  static final int MAX_PROMPTS = 20;

  private CompletionRequests() {}

  /**
   * @param body the JSON body
   * @param requestId the request id, passed on to inference
   */
  static CompletionCall parse(ObjectNode body, String requestId) {
    var params = new Params(body);
    var template = GenerateRequest.newBuilder().setRequestId(requestId);
    template.setModel(params.model());
    var promptNode = params.get("prompt");
    if (promptNode == null) {
      throw Params.missing("prompt");
    }
    var suffix = params.string("suffix");

    template.setMaxTokens(params.integer("max_tokens", 0, Integer.MAX_VALUE).orElse(16));
    CommonParams.apply(params, template);
    int n = template.getN();
    int bestOf = params.integer("best_of", 1, 20).orElse(n);
    if (bestOf < n) {
      throw new InvalidRequestException(
          "best_of must be greater than or equal to n.", "best_of", "invalid_value");
    }
    template.setBestOf(bestOf);
    boolean echo = params.bool("echo").orElse(false);
    template.setEcho(echo);
    var logprobs = params.integer("logprobs", 0, 5);
    logprobs.ifPresent(template::setLogprobs);

    boolean stream = CommonParams.stream(params);
    if (stream && bestOf > n) {
      throw new InvalidRequestException(
          "Cannot stream results when 'best_of' is greater than 'n'.", "best_of", "invalid_value");
    }
    boolean includeUsage = CommonParams.includeUsage(params, stream);
    if (suffix.isPresent() && echo) {
      throw new InvalidRequestException(
          "'echo' and 'suffix' cannot be used together.", "suffix", "invalid_value");
    }

    var prompts = new ArrayList<GenerateRequest>();
    for (var prompt : prompts(promptNode, suffix.orElse(null))) {
      prompts.add(
          RequestLimits.fitsGrpc(prompt.mergeFrom(template.buildPartial()).build(), "inference"));
    }
    return new CompletionCall(List.copyOf(prompts), stream, includeUsage, logprobs.isPresent());
  }

  /** The prompt forms: a string, strings, token ids, arrays of token ids. */
  private static List<GenerateRequest.Builder> prompts(JsonNode node, String suffix) {
    var prompts = new ArrayList<GenerateRequest.Builder>();
    if (node.isTextual()) {
      prompts.add(text(node.textValue(), suffix));
      return prompts;
    }
    if (!node.isArray()) {
      throw invalidPrompt(node);
    }
    if (node.isEmpty()) {
      throw Params.empty("prompt");
    }
    var first = node.get(0);
    if (first.isIntegralNumber()) {
      prompts.add(tokens(node, "prompt", suffix));
      return prompts;
    }
    Params.maxItems(node, "prompt", MAX_PROMPTS);
    for (int i = 0; i < node.size(); i++) {
      var item = node.get(i);
      if (first.isTextual() && item.isTextual()) {
        prompts.add(text(item.textValue(), suffix));
      } else if (first.isArray() && item.isArray()) {
        if (item.isEmpty()) {
          throw Params.empty("prompt[" + i + "]");
        }
        prompts.add(tokens(item, "prompt[" + i + "]", suffix));
      } else {
        throw invalidPrompt(node);
      }
    }
    return prompts;
  }

  private static GenerateRequest.Builder text(String text, String suffix) {
    var prompt = TextPrompt.newBuilder().setText(text);
    if (suffix != null) {
      prompt.setSuffix(suffix);
    }
    return GenerateRequest.newBuilder().setText(prompt);
  }

  private static GenerateRequest.Builder tokens(JsonNode array, String param, String suffix) {
    if (suffix != null) {
      throw new InvalidRequestException(
          "'suffix' is only supported with text prompts.", "suffix", "invalid_value");
    }
    var prompt = TokenPrompt.newBuilder();
    for (int i = 0; i < array.size(); i++) {
      var token = array.get(i);
      if (!token.isIntegralNumber()) {
        throw invalidPrompt(array);
      }
      prompt.addTokens((int) Params.integer(token, param + "[" + i + "]", 0, Integer.MAX_VALUE));
    }
    return GenerateRequest.newBuilder().setTokens(prompt);
  }

  private static InvalidRequestException invalidPrompt(JsonNode node) {
    return Params.invalidType(
        "prompt",
        "a string, an array of strings, an array of integers or an array of arrays of integers",
        node);
  }
}
