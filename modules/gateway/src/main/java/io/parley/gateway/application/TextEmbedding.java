package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;
import io.parley.embeddings.v1.EmbedInput;
import io.parley.embeddings.v1.EmbedRequest;
import io.parley.embeddings.v1.EmbedResponse;
import io.parley.gateway.domain.BackendUnavailableException;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.ServiceUnavailableException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.function.Consumer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

/**
 * Embeds inputs with one model, admitted and metered like a generation that produces no completion:
 * the rate limits take one request and the estimated prompt tokens, the budget their cost, and
 * afterwards both are trued up to the prompt tokens the service counted (zero when nothing ran).
 *
 * <p>Prompt tokens are estimated as for generations: UTF-8 bytes / 4 (rounded up) per text input,
 * the exact count for a token input.
 */
@ApplicationScoped
public class TextEmbedding {

  private EmbeddingsBackend embeddings;
  private Admission admission;
  private int retryAfterSeconds;

  /** For CDI proxies. */
  protected TextEmbedding() {}

  /**
   * @param embeddings the embeddings service
   * @param admission rate limits and metering
   * @param retryAfterSeconds {@code retry-after} of transient failures
   */
  @Inject
  public TextEmbedding(
      EmbeddingsBackend embeddings,
      Admission admission,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds) {
    this.embeddings = embeddings;
    this.admission = admission;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /**
   * Embeds the request's inputs for the caller.
   *
   * @param onDecision receives the rate-limit decision, for the response headers
   * @throws io.parley.gateway.domain.ServiceNotConfiguredException without an embeddings service
   * @throws io.parley.gateway.domain.RateLimitExceededException when a limit refuses it
   * @throws io.parley.gateway.domain.QuotaExceededException when the budget refuses it
   */
  public EmbedResponse embed(
      Caller caller, EmbedRequest request, Consumer<RateLimitDecision> onDecision) {
    if (!embeddings.enabled()) {
      throw EmbeddingsBackend.notConfigured();
    }
    var ticket =
        admission.admit(
            caller, request.getRequestId(), request.getModel(), estimate(request), onDecision);
    EmbedResponse response;
    try {
      response = ticket.start(() -> embeddings.embed(request));
    } catch (CircuitBreakerOpenException e) {
      throw BackendUnavailableException.of(EmbeddingsBackend.SERVICE, retryAfterSeconds);
    } catch (TimeoutException e) {
      throw ServiceUnavailableException.timeout(retryAfterSeconds);
    }
    ticket.finish(promptOnly(response.getUsage()));
    return response;
  }

  /** The tokens charged up front: every input's prompt tokens, no completion. */
  static TokenEstimate estimate(EmbedRequest request) {
    var prompt = new ArrayList<Integer>(request.getInputsCount());
    for (EmbedInput input : request.getInputsList()) {
      prompt.add(
          switch (input.getKindCase()) {
            case TEXT -> bytesToTokens(utf8Length(input.getText()));
            case TOKENS -> input.getTokens().getIdsCount();
            case KIND_NOT_SET -> 0;
          });
    }
    return new TokenEstimate(prompt, 0);
  }

  private static TokenUsage promptOnly(TokenUsage usage) {
    return TokenUsage.newBuilder()
        .setPromptTokens(usage.getPromptTokens())
        .setTotalTokens(usage.getPromptTokens())
        .build();
  }

  private static long utf8Length(String text) {
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
}
