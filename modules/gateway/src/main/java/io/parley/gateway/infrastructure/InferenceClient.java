package io.parley.gateway.infrastructure;

import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.GrpcErrors;
import io.parley.gateway.application.InferenceBackend;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.ModelInfo;
import io.parley.gateway.domain.ServiceUnavailableException;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.GenerateResponse;
import io.parley.inference.v1.GetModelRequest;
import io.parley.inference.v1.InferenceServiceGrpc;
import io.parley.inference.v1.ListModelsRequest;
import io.parley.inference.v1.Model;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.faulttolerance.Bulkhead;
import org.eclipse.microprofile.faulttolerance.CircuitBreaker;
import org.eclipse.microprofile.faulttolerance.Retry;
import org.eclipse.microprofile.faulttolerance.Timeout;
import org.eclipse.microprofile.faulttolerance.exceptions.TimeoutException;

/**
 * Client of {@code parley.inference.v1.InferenceService}. Every call has a deadline; failures
 * become the gateway's errors ({@link RemoteErrors}). Fault tolerance: the model look-ups are
 * idempotent, so they are retried on transient failures, bounded by a timeout and a bulkhead;
 * generation is never retried. A circuit breaker per method opens when the service keeps failing
 * (only {@link ServiceUnavailableException} and timeouts count: a bad request is not the service's
 * fault); while open, callers get 503 at once. Values can be tuned with the MP Fault Tolerance
 * config keys ({@code io.parley.gateway.infrastructure.InferenceClient/listModels/Timeout/value}).
 */
@ApplicationScoped
public class InferenceClient implements InferenceBackend {

  private Channel channel;
  private long unaryDeadlineMillis;
  private long generationDeadlineMillis;
  private int retryAfterSeconds;

  /** For CDI proxies. */
  protected InferenceClient() {}

  /**
   * @param channel channel to the inference service
   * @param unaryDeadlineMillis deadline of model look-ups
   * @param generationDeadlineMillis deadline of one whole generation
   * @param retryAfterSeconds {@code retry-after} sent with transient failures
   */
  @Inject
  public InferenceClient(
      @Inference Channel channel,
      @ConfigProperty(name = "parley.inference.unary-deadline-ms") long unaryDeadlineMillis,
      @ConfigProperty(name = "parley.inference.generation-deadline-ms")
          long generationDeadlineMillis,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds) {
    this.channel = channel;
    this.unaryDeadlineMillis = unaryDeadlineMillis;
    this.generationDeadlineMillis = generationDeadlineMillis;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** The models the inference service has loaded. */
  @Retry(maxRetries = 2, delay = 100, jitter = 50, retryOn = ServiceUnavailableException.class)
  @Timeout(15_000)
  @CircuitBreaker(
      failOn = {ServiceUnavailableException.class, TimeoutException.class},
      requestVolumeThreshold = 10,
      failureRatio = 0.5,
      delay = 5_000,
      successThreshold = 2)
  @Bulkhead(64)
  @Override
  public List<ModelInfo> listModels() {
    try {
      return unary().listModels(ListModelsRequest.getDefaultInstance()).getModelsList().stream()
          .map(InferenceClient::toInfo)
          .toList();
    } catch (StatusRuntimeException e) {
      throw failure(e, "");
    }
  }

  /**
   * One model.
   *
   * @throws io.parley.gateway.domain.ModelNotFoundException when it is not hosted
   */
  @Retry(maxRetries = 2, delay = 100, jitter = 50, retryOn = ServiceUnavailableException.class)
  @Timeout(15_000)
  @CircuitBreaker(
      failOn = {ServiceUnavailableException.class, TimeoutException.class},
      requestVolumeThreshold = 10,
      failureRatio = 0.5,
      delay = 5_000,
      successThreshold = 2)
  @Bulkhead(64)
  @Override
  public ModelInfo getModel(String id) {
    try {
      return toInfo(unary().getModel(GetModelRequest.newBuilder().setModel(id).build()).getModel());
    } catch (StatusRuntimeException e) {
      throw failure(e, id);
    }
  }

  /** Generates whole completions (no streaming). */
  @CircuitBreaker(
      failOn = ServiceUnavailableException.class,
      requestVolumeThreshold = 10,
      failureRatio = 0.5,
      delay = 5_000,
      successThreshold = 2)
  @Override
  public GenerateResponse generate(GenerateRequest request) {
    try {
      var response =
          InferenceServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(generationDeadlineMillis, TimeUnit.MILLISECONDS)
              .generate(request);
      GenerationMeters.generated(request.getModel(), response.getUsage());
      return response;
    } catch (StatusRuntimeException e) {
      throw failure(e, request.getModel());
    }
  }

  /**
   * Starts a streamed generation and waits for its first chunk, so that a failure to start (model
   * not found, service down, bad argument) is thrown here, before anything was sent to the client.
   */
  @CircuitBreaker(
      failOn = ServiceUnavailableException.class,
      requestVolumeThreshold = 10,
      failureRatio = 0.5,
      delay = 5_000,
      successThreshold = 2)
  @Override
  public InferenceBackend.StreamedGeneration openStream(GenerateRequest request) {
    var context = Context.current().withCancellation();
    var stub =
        InferenceServiceGrpc.newStub(channel)
            .withDeadlineAfter(generationDeadlineMillis, TimeUnit.MILLISECONDS);
    try {
      var stream =
          new GenerationStream(context, stub, request, request.getModel(), retryAfterSeconds);
      stream.hasNext();
      return stream;
    } catch (GatewayException e) {
      throw e;
    } catch (StatusRuntimeException e) {
      context.cancel(null);
      throw failure(e, request.getModel());
    } catch (RuntimeException e) {
      context.cancel(null);
      throw new IllegalStateException("could not start the generation", e);
    }
  }

  private InferenceServiceGrpc.InferenceServiceBlockingStub unary() {
    return InferenceServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(unaryDeadlineMillis, TimeUnit.MILLISECONDS);
  }

  private GatewayException failure(StatusRuntimeException e, String model) {
    return RemoteErrors.toGatewayException(GrpcErrors.parse(e), model, retryAfterSeconds);
  }

  private static ModelInfo toInfo(Model model) {
    return new ModelInfo(
        model.getId(),
        model.getCreated(),
        model.getOwnedBy().isEmpty() ? "parley" : model.getOwnedBy());
  }
}
