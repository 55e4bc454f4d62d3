package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.GenerateResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;

/**
 * Generates completions for one or more prompts. Each prompt is one inference call; the choices of
 * prompt {@code p} get the indexes {@code p * n .. p * n + n - 1}, as in OpenAI's legacy API, and
 * the usage is the sum over the prompts.
 */
@ApplicationScoped
public class TextGeneration {

  private InferenceBackend inference;
  private Drain drain;

  /** For CDI proxies. */
  protected TextGeneration() {}

  @Inject
  public TextGeneration(InferenceBackend inference, Drain drain) {
    this.inference = inference;
    this.drain = drain;
  }

  /**
   * Generates every prompt's choices.
   *
   * @param prompts one request per prompt, all with the same {@code n}
   */
  public GenerateResponse generate(List<GenerateRequest> prompts) {
    if (prompts.size() == 1) {
      return inference.generate(prompts.getFirst());
    }
    var merged = GenerateResponse.newBuilder();
    var usage = TokenUsage.newBuilder();
    int offset = 0;
    for (var prompt : prompts) {
      var response = inference.generate(prompt);
      for (var choice : response.getChoicesList()) {
        merged.addChoices(choice.toBuilder().setIndex(offset + choice.getIndex()));
      }
      add(usage, response.getUsage());
      offset += prompt.getN();
    }
    return merged.setUsage(usage).build();
  }

  /**
   * Starts streaming; the first prompt's call is started (and has answered) when this returns, so a
   * failure to start is thrown here.
   *
   * @param prompts one request per prompt, all with the same {@code n}
   */
  public ChunkStream stream(List<GenerateRequest> prompts) {
    return new ChunkStream(inference, prompts, drain);
  }

  static void add(TokenUsage.Builder sum, TokenUsage usage) {
    sum.setPromptTokens(sum.getPromptTokens() + usage.getPromptTokens())
        .setCompletionTokens(sum.getCompletionTokens() + usage.getCompletionTokens())
        .setTotalTokens(sum.getTotalTokens() + usage.getTotalTokens());
  }
}
