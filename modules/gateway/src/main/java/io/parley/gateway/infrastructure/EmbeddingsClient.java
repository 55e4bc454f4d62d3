package io.parley.gateway.infrastructure;

import io.grpc.Channel;
import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.GrpcErrors;
import io.parley.embeddings.v1.EmbedRequest;
import io.parley.embeddings.v1.EmbedResponse;
import io.parley.embeddings.v1.EmbeddingModel;
import io.parley.embeddings.v1.EmbeddingsServiceGrpc;
import io.parley.embeddings.v1.ListModelsRequest;
import io.parley.gateway.application.EmbeddingsBackend;
import io.parley.gateway.domain.BackendUnavailableException;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.ModelInfo;
import io.parley.gateway.domain.ServiceNotConfiguredException;
import io.parley.gateway.domain.ServiceUnavailableException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.Bulkhead;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

/**
 * Client of {@code parley.embeddings.v1.EmbeddingsService}. Every call has a deadline; failures
 * become the gateway's errors ({@link ServiceErrors}). Both calls are idempotent, so they are
 * retried on unavailability, bounded by a bulkhead; a circuit breaker per method opens when the
 * service keeps failing (only unavailability and deadlines count), and while open callers get 503
 * at once. Embed is bounded by its gRPC deadline alone (no {@code @Timeout}, which would schedule
 * and cancel a timer per call); ListModels also by a timeout. Tunable with the MP Fault Tolerance
 * config keys ({@code io.parley.gateway.infrastructure.EmbeddingsClient/listModels/Timeout/value}).
 * {@link #enabled()} is false when {@code parley.embeddings.target} is not set: every call then
 * fails with 501 and nothing is opened.
 */
@ApplicationScoped
public class EmbeddingsClient implements EmbeddingsBackend {

  private Channel channel;
  private boolean enabled;
  private long listDeadlineMillis;
  private long embedDeadlineMillis;
  private int retryAfterSeconds;

  /** For CDI proxies. */
  protected EmbeddingsClient() {}

  /**
   * @param channel channel to the embeddings service (opened on first use)
   * @param target the configured target; empty disables the client
   * @param listDeadlineMillis deadline of ListModels
   * @param embedDeadlineMillis deadline of Embed
   * @param retryAfterSeconds {@code retry-after} sent with transient failures
   */
  @Inject
  public EmbeddingsClient(
      @Embeddings Channel channel,
      @ConfigProperty(name = "parley.embeddings.target") Optional<String> target,
      @ConfigProperty(name = "parley.embeddings.list-deadline-ms") long listDeadlineMillis,
      @ConfigProperty(name = "parley.embeddings.embed-deadline-ms") long embedDeadlineMillis,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds) {
    this.channel = channel;
    this.enabled = target.filter(t -> !t.isBlank()).isPresent();
    this.listDeadlineMillis = listDeadlineMillis;
    this.embedDeadlineMillis = embedDeadlineMillis;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** Whether an embeddings service is configured. */
  @Override
  public boolean enabled() {
    return enabled;
  }

  /**
   * The embedding models the service has loaded.
   *
   * @throws ServiceNotConfiguredException when no service is configured
   */
  @Retry(maxRetries = 1, delay = 100, jitter = 50, retryOn = BackendUnavailableException.class)
  @Timeout(10_000)
  @CircuitBreaker(
      failOn = {
        BackendUnavailableException.class,
        ServiceUnavailableException.class,
        TimeoutException.class
      },
      requestVolumeThreshold = 10,
      failureRatio = 0.5,
      delay = 5_000,
      successThreshold = 2)
  @Bulkhead(64)
  @Override
  public List<ModelInfo> listModels() {
    requireEnabled();
    try {
      return EmbeddingsServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(listDeadlineMillis, TimeUnit.MILLISECONDS)
          .listModels(ListModelsRequest.getDefaultInstance())
          .getModelsList()
          .stream()
          .map(EmbeddingsClient::toInfo)
          .toList();
    } catch (StatusRuntimeException e) {
      throw failure(e, "");
    }
  }

  /**
   * Embeds a batch of inputs.
   *
   * @throws ServiceNotConfiguredException when no service is configured
   * @throws io.parley.gateway.domain.ModelNotFoundException when the model is not loaded
   * @throws io.parley.gateway.domain.InvalidRequestException when the service rejects an argument
   *     (an input past the model's context, {@code dimensions} the model does not allow)
   */
  @Retry(maxRetries = 2, delay = 100, jitter = 50, retryOn = BackendUnavailableException.class)
  @CircuitBreaker(
      failOn = {
        BackendUnavailableException.class,
        ServiceUnavailableException.class,
        TimeoutException.class
      },
      requestVolumeThreshold = 10,
      failureRatio = 0.5,
      delay = 5_000,
      successThreshold = 2)
  @Bulkhead(64)
  @Override
  public EmbedResponse embed(EmbedRequest request) {
    requireEnabled();
    try {
      return EmbeddingsServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(embedDeadlineMillis, TimeUnit.MILLISECONDS)
          .embed(request);
    } catch (StatusRuntimeException e) {
      throw failure(e, request.getModel());
    }
  }

  private void requireEnabled() {
    if (!enabled) {
      throw EmbeddingsBackend.notConfigured();
    }
  }

  private GatewayException failure(StatusRuntimeException e, String model) {
    return ServiceErrors.toGatewayException(SERVICE, GrpcErrors.parse(e), model, retryAfterSeconds);
  }

  private static ModelInfo toInfo(EmbeddingModel model) {
    return new ModelInfo(
        model.getId(),
        model.getCreated(),
        model.getOwnedBy().isEmpty() ? "parley" : model.getOwnedBy());
  }
}
