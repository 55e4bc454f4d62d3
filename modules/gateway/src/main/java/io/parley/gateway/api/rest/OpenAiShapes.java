package io.parley.gateway.api.rest;

import com.google.protobuf.ByteString;
import io.parley.common.v1.TokenUsage;
import io.parley.gateway.api.rest.dto.ChatChoice;
import io.parley.gateway.api.rest.dto.ChatCompletion;
import io.parley.gateway.api.rest.dto.ChatLogprobs;
import io.parley.gateway.api.rest.dto.ChatMessage;
import io.parley.gateway.api.rest.dto.ChatTokenLogprob;
import io.parley.gateway.api.rest.dto.ChatTopLogprob;
import io.parley.gateway.api.rest.dto.TextChoice;
import io.parley.gateway.api.rest.dto.TextCompletion;
import io.parley.gateway.api.rest.dto.TextLogprobs;
import io.parley.gateway.api.rest.dto.Usage;
import io.parley.inference.v1.Choice;
import io.parley.inference.v1.FinishReason;
import io.parley.inference.v1.GenerateResponse;
import io.parley.inference.v1.TokenLogprob;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Inference results in OpenAI's shapes (chat and legacy). */
final class OpenAiShapes {

  private OpenAiShapes() {}

  static ChatCompletion chatCompletion(
      String id, long created, String model, GenerateResponse response, boolean logprobs) {
    var choices =
        response.getChoicesList().stream()
            .sorted(Comparator.comparingInt(Choice::getIndex))
            .map(
                choice ->
                    new ChatChoice(
                        choice.getIndex(),
                        ChatMessage.assistant(choice.getText()),
                        logprobs ? chatLogprobs(choice.getLogprobsList()) : null,
                        finishReason(choice.getFinishReason())))
            .toList();
    return new ChatCompletion(
        id, "chat.completion", created, model, choices, usage(response.getUsage()), null);
  }

  static TextCompletion textCompletion(
      String id, long created, String model, GenerateResponse response, boolean logprobs) {
    var choices =
        response.getChoicesList().stream()
            .sorted(Comparator.comparingInt(Choice::getIndex))
            .map(
                choice ->
                    new TextChoice(
                        choice.getEchoText() + choice.getText(),
                        choice.getIndex(),
                        logprobs
                            ? textLogprobs(choice.getEchoLogprobsList(), choice.getLogprobsList())
                            : null,
                        finishReason(choice.getFinishReason())))
            .toList();
    return new TextCompletion(
        id, "text_completion", created, model, choices, usage(response.getUsage()), null);
  }

  static Usage usage(TokenUsage usage) {
    return new Usage(usage.getPromptTokens(), usage.getCompletionTokens(), usage.getTotalTokens());
  }

  /** OpenAI's {@code finish_reason}; {@code null} while the choice goes on. */
  static String finishReason(FinishReason reason) {
    return switch (reason) {
      case FINISH_REASON_STOP, FINISH_REASON_CANCELLED -> "stop";
      case FINISH_REASON_LENGTH -> "length";
      case FINISH_REASON_CONTENT_FILTER -> "content_filter";
      default -> null;
    };
  }

  /** Chat shape: {@code {"content":[{token, logprob, bytes, top_logprobs}], "refusal": null}}. */
  static ChatLogprobs chatLogprobs(List<TokenLogprob> tokens) {
    var content = new ArrayList<ChatTokenLogprob>(tokens.size());
    for (var token : tokens) {
      var top = new ArrayList<ChatTopLogprob>(token.getTopCount());
      for (var alternative : token.getTopList()) {
        top.add(
            new ChatTopLogprob(
                alternative.getText(), alternative.getLogprob(), bytes(alternative.getBytes())));
      }
      content.add(
          new ChatTokenLogprob(token.getText(), token.getLogprob(), bytes(token.getBytes()), top));
    }
    return new ChatLogprobs(content, null);
  }

  /**
   * Legacy shape: parallel {@code tokens}, {@code token_logprobs}, {@code top_logprobs} (maps of
   * token → logprob) and {@code text_offset}; a token without a logprob (the first echoed prompt
   * token) has null in both lists.
   */
  static TextLogprobs textLogprobs(List<TokenLogprob> echo, List<TokenLogprob> generated) {
    int size = echo.size() + generated.size();
    var tokens = new ArrayList<String>(size);
    var tokenLogprobs = new ArrayList<Double>(size);
    var topLogprobs = new ArrayList<Map<String, Double>>(size);
    var offsets = new ArrayList<Integer>(size);
    for (var list : List.of(echo, generated)) {
      for (var token : list) {
        tokens.add(token.getText());
        offsets.add(token.getTextOffset());
        if (token.hasLogprob()) {
          tokenLogprobs.add(token.getLogprob());
          var top = new LinkedHashMap<String, Double>();
          for (var alternative : token.getTopList()) {
            top.putIfAbsent(alternative.getText(), alternative.getLogprob());
          }
          topLogprobs.add(top);
        } else {
          tokenLogprobs.add(null);
          topLogprobs.add(null);
        }
      }
    }
    return new TextLogprobs(tokens, tokenLogprobs, topLogprobs, offsets);
  }

  /** UTF-8 bytes as OpenAI lists them (unsigned integers). */
  static List<Integer> bytes(ByteString bytes) {
    var list = new ArrayList<Integer>(bytes.size());
    for (int i = 0; i < bytes.size(); i++) {
      list.add(bytes.byteAt(i) & 0xff);
    }
    return list;
  }
}
