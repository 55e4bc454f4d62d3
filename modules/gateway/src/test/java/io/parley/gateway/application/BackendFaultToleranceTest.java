package io.parley.gateway.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.embeddings.v1.EmbedInput;
import io.parley.embeddings.v1.EmbedRequest;
import io.parley.embeddings.v1.EmbedResponse;
import io.parley.gateway.domain.BackendUnavailableException;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.ModelInfo;
import io.parley.gateway.domain.Role;
import io.parley.safety.v1.ModerateRequest;
import io.parley.safety.v1.ModerateResponse;
import io.parley.safety.v1.Policy;
import java.util.List;
import org.eclipse.microprofile.faulttolerance.exceptions.CircuitBreakerOpenException;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * What the fault-tolerance interceptors of the embeddings and safety clients throw (an open
 * circuit, a timeout) reaches the client as that service's 503, or a 504.
 */
class BackendFaultToleranceTest {

  private static final Caller CALLER = new Caller("org-a", "user-1", Role.READER, "key-1", false);

  /** Stands in for the CDI proxy of the client, whose interceptors threw {@code failure}. */
  private static EmbeddingsBackend embeddings(RuntimeException failure) {
    return new EmbeddingsBackend() {
      @Override
      public boolean enabled() {
        return true;
      }

      @Override
      public List<ModelInfo> listModels() {
        throw failure;
      }

      @Override
      public EmbedResponse embed(EmbedRequest request) {
        throw failure;
      }
    };
  }

  private static SafetyBackend safety(RuntimeException failure) {
    return new SafetyBackend() {
      @Override
      public boolean enabled() {
        return true;
      }

      @Override
      public ModerateResponse moderate(ModerateRequest request) {
        throw failure;
      }

      @Override
      public Policy policy(String organization) {
        throw failure;
      }

      @Override
      public Policy setPolicy(String organization, Policy policy) {
        throw failure;
      }
    };
  }

  private static final EmbedRequest EMBED =
      EmbedRequest.newBuilder()
          .setModel("mini")
          .setRequestId("r")
          .addInputs(EmbedInput.newBuilder().setText("x"))
          .build();

  @Test
  void openCircuit_isTheServices503() {
    var embedding =
        new TextEmbedding(
            embeddings(new CircuitBreakerOpenException("open")), Unconfigured.admission(), 2);
    var moderation =
        new ContentModeration(
            safety(new CircuitBreakerOpenException("open")),
            Unconfigured.rateLimiter(),
            Unconfigured.metering(),
            2);

    assertThatThrownBy(() -> embedding.embed(CALLER, EMBED, d -> {}))
        .isInstanceOf(BackendUnavailableException.class)
        .hasMessageStartingWith("The embeddings service is unavailable.");
    assertThatThrownBy(
            () -> moderation.moderate(CALLER, ModerateRequest.newBuilder().build(), d -> {}))
        .isInstanceOf(BackendUnavailableException.class)
        .hasMessageStartingWith("The safety service is unavailable.");
  }

  @Test
  void timeout_is504() {
    var embedding =
        new TextEmbedding(embeddings(new TimeoutException("slow")), Unconfigured.admission(), 2);

    assertThatThrownBy(() -> embedding.embed(CALLER, EMBED, d -> {}))
        .isInstanceOfSatisfying(
            GatewayException.class,
            e -> {
              assertThat(e.status()).isEqualTo(504);
              assertThat(e.headers()).containsEntry("retry-after", "2");
            });
  }
}
