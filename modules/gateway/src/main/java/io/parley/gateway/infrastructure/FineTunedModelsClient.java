package io.parley.gateway.infrastructure;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.parley.common.grpc.GrpcErrors;
import io.parley.finetuning.v1.DeleteFineTunedModelRequest;
import io.parley.finetuning.v1.FineTunedModel;
import io.parley.finetuning.v1.FineTuningServiceGrpc;
import io.parley.finetuning.v1.GetFineTunedModelRequest;
import io.parley.finetuning.v1.ListFineTunedModelsRequest;
import io.parley.gateway.application.FineTunedModels;
import io.parley.gateway.domain.ModelInfo;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The fine-tuned model registry of the files service ({@code parley.finetuning.v1}: {@code
 * ListFineTunedModels}, {@code GetFineTunedModel}, {@code DeleteFineTunedModel}) on the files
 * channel, each call with a deadline; NOT_FOUND (also for another organization's model) is an empty
 * answer, other failures the files service's gateway errors.
 */
@ApplicationScoped
public class FineTunedModelsClient implements FineTunedModels {

  private Channel channel;
  private boolean enabled;
  private long deadlineMillis;
  private int retryAfterSeconds;

  /** For CDI proxies. */
  protected FineTunedModelsClient() {}

  /**
   * @param channel channel to the files service (opened on first use)
   * @param target the configured target; empty disables the client
   * @param deadlineMillis deadline of each call
   * @param retryAfterSeconds {@code retry-after} sent with transient failures
   */
  @Inject
  public FineTunedModelsClient(
      @Files Channel channel,
      @ConfigProperty(name = "parley.files.target") Optional<String> target,
      @ConfigProperty(name = "parley.files.deadline-ms") long deadlineMillis,
      @ConfigProperty(name = "parley.gateway.retry-after-seconds") int retryAfterSeconds) {
    this.channel = channel;
    this.enabled = target.filter(t -> !t.isBlank()).isPresent();
    this.deadlineMillis = deadlineMillis;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  @Override
  public boolean enabled() {
    return enabled;
  }

  @Override
  public List<ModelInfo> list(String organization) {
    if (!enabled) {
      return List.of();
    }
    return call(stub ->
            stub.listFineTunedModels(
                ListFineTunedModelsRequest.newBuilder().setOrganization(organization).build()))
        .map(r -> r.getModelsList().stream().map(FineTunedModelsClient::info).toList())
        .orElse(List.of());
  }

  @Override
  public Optional<ModelInfo> find(String organization, String id) {
    if (!enabled) {
      return Optional.empty();
    }
    return call(stub ->
            stub.getFineTunedModel(
                GetFineTunedModelRequest.newBuilder()
                    .setOrganization(organization)
                    .setModel(id)
                    .build()))
        .map(r -> info(r.getModel()));
  }

  @Override
  public boolean delete(String organization, String id) {
    if (!enabled) {
      return false;
    }
    return call(stub ->
            stub.deleteFineTunedModel(
                DeleteFineTunedModelRequest.newBuilder()
                    .setOrganization(organization)
                    .setModel(id)
                    .build()))
        .map(r -> r.getDeleted())
        .orElse(false);
  }

  private static ModelInfo info(FineTunedModel model) {
    return new ModelInfo(model.getId(), model.getCreatedAt(), model.getOrganization());
  }

  /** The answer, or empty on NOT_FOUND. */
  private <T> Optional<T> call(
      Function<FineTuningServiceGrpc.FineTuningServiceBlockingStub, T> rpc) {
    try {
      return Optional.of(
          rpc.apply(
              FineTuningServiceGrpc.newBlockingStub(channel)
                  .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw FilesClient.toGatewayException(GrpcErrors.parse(e), retryAfterSeconds);
    }
  }
}
