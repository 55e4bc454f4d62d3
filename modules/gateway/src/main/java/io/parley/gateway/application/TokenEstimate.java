package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;
import io.parley.inference.v1.GenerateRequest;
import java.util.List;

/**
 * The tokens a generation is charged up front (rate limits and the budget), trued up to the actual
 * counts when it ends.
 *
 * <p>Prompt tokens are estimated without a round trip: UTF-8 bytes / 4 (rounded up), plus 4 per
 * chat message and 3 for the reply's priming, as OpenAI counts chat overhead; a token prompt counts
 * exactly. Completion tokens are the worst case: {@code max_tokens × max(n, best_of)} per prompt,
 * or {@code defaultMaxTokens} per sequence when the request sets no {@code max_tokens}.
 *
 * @param promptTokens estimated prompt tokens, one entry per prompt
 * @param completionTokens worst-case completion tokens, over every prompt
 */
public record TokenEstimate(List<Integer> promptTokens, long completionTokens) {

  public TokenEstimate {
    promptTokens = List.copyOf(promptTokens);
  }

  /**
   * @param prompts one inference request per prompt
   * @param defaultMaxTokens completion tokens per sequence assumed without {@code max_tokens}
   */
  public static TokenEstimate of(List<GenerateRequest> prompts, int defaultMaxTokens) {
    var promptTokens = new java.util.ArrayList<Integer>(prompts.size());
    long completion = 0;
    for (var request : prompts) {
      promptTokens.add(promptTokens(request));
      int sequences = Math.max(1, Math.max(request.getN(), request.getBestOf()));
      long max = request.hasMaxTokens() ? request.getMaxTokens() : defaultMaxTokens;
      completion += max * sequences;
    }
    return new TokenEstimate(promptTokens, completion);
  }

  /** Estimated prompt tokens of one request. */
  static int promptTokens(GenerateRequest request) {
    return switch (request.getPromptCase()) {
      case TEXT -> bytesToTokens(utf8(request.getText().getText()));
      case TOKENS -> request.getTokens().getTokensCount();
      case CHAT -> {
        long total = 3;
        for (var message : request.getChat().getMessagesList()) {
          total += 4 + bytesToTokens(utf8(message.getRole()) + utf8(message.getContent()));
        }
        yield (int) Math.min(Integer.MAX_VALUE, total);
      }
      case PROMPT_NOT_SET -> 0;
    };
  }

  private static long utf8(String text) {
    // Cheaper than encoding: count the UTF-8 length.
    long bytes = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x80) {
        bytes += 1;
      } else if (c < 0x800) {
        bytes += 2;
      } else if (Character.isHighSurrogate(c)) {
        bytes += 4;
        i++;
      } else {
        bytes += 3;
      }
    }
    return bytes;
  }

  private static int bytesToTokens(long bytes) {
    return (int) Math.min(Integer.MAX_VALUE, (bytes + 3) / 4);
  }

  /** Prompt tokens over every prompt. */
  public long prompt() {
    return promptTokens.stream().mapToLong(Integer::longValue).sum();
  }

  /** Everything charged up front. */
  public long total() {
    return prompt() + completionTokens;
  }

  /** As the usage ledger counts tokens (what the request is admitted for). */
  public TokenUsage toUsage() {
    int prompt = (int) Math.min(Integer.MAX_VALUE, prompt());
    int completion = (int) Math.min(Integer.MAX_VALUE, completionTokens);
    return TokenUsage.newBuilder()
        .setPromptTokens(prompt)
        .setCompletionTokens(completion)
        .setTotalTokens((int) Math.min(Integer.MAX_VALUE, (long) prompt + completion))
        .build();
  }
}
