package io.parley.inference.infrastructure.files;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.parley.finetuning.v1.FineTuningServiceGrpc;
import io.parley.finetuning.v1.GetAdapterContentRequest;
import io.parley.finetuning.v1.GetAdapterContentResponse;
import io.parley.finetuning.v1.GetFineTunedModelRequest;
import io.parley.inference.application.FineTunedModelSource;
import io.parley.inference.domain.FineTunedModel;
import io.parley.inference.domain.ModelNotFoundException;
import io.parley.inference.domain.ModelRegistryUnavailableException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Iterator;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The fine-tuned model registry of the files service over gRPC ({@code
 * parley.finetuning.v1.FineTuningService}: {@code GetFineTunedModel}, {@code GetAdapterContent}),
 * each call with a deadline, waiting for the connection within it (a registry that is restarting
 * delays fine-tuned requests rather than failing them at once).
 */
public final class GrpcFineTunedModelSource implements FineTunedModelSource {

  private static final System.Logger LOG =
      System.getLogger(GrpcFineTunedModelSource.class.getName());

  private final FineTuningServiceGrpc.FineTuningServiceBlockingStub stub;
  private final Duration lookupDeadline;
  private final Duration downloadDeadline;

  public GrpcFineTunedModelSource(
      ManagedChannel channel, Duration lookupDeadline, Duration downloadDeadline) {
    this.stub = FineTuningServiceGrpc.newBlockingStub(channel).withWaitForReady();
    this.lookupDeadline = lookupDeadline;
    this.downloadDeadline = downloadDeadline;
  }

  @Override
  public Optional<FineTunedModel> find(String organization, String model) {
    try {
      var found =
          stub.withDeadlineAfter(lookupDeadline.toMillis(), TimeUnit.MILLISECONDS)
              .getFineTunedModel(
                  GetFineTunedModelRequest.newBuilder()
                      .setOrganization(organization)
                      .setModel(model)
                      .build())
              .getModel();
      return Optional.of(
          new FineTunedModel(
              found.getId(),
              found.getOrganization(),
              found.getBaseModel(),
              found.getCreatedAt(),
              found.getAdapterSha256(),
              found.getAdapterBytes()));
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw unavailable(model, e);
    }
  }

  @Override
  public void download(String organization, String model, OutputStream out) {
    var request =
        GetAdapterContentRequest.newBuilder().setOrganization(organization).setModel(model).build();
    try (Context.CancellableContext call = Context.current().withCancellation()) {
      call.run(
          () -> {
            Iterator<GetAdapterContentResponse> chunks =
                stub.withDeadlineAfter(downloadDeadline.toMillis(), TimeUnit.MILLISECONDS)
                    .getAdapterContent(request);
            while (chunks.hasNext()) {
              try {
                chunks.next().getData().writeTo(out);
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            }
          });
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
        throw new ModelNotFoundException(model);
      }
      throw unavailable(model, e);
    }
  }

  /**
   * Any other failure of the registry: down or restarting (UNAVAILABLE), no answer within the
   * deadline (it waits for the connection), or an error of its own. Logged with its status here;
   * the caller sees a retryable "unavailable".
   */
  private static ModelRegistryUnavailableException unavailable(
      String model, StatusRuntimeException e) {
    LOG.log(
        System.Logger.Level.WARNING,
        "The fine-tuned model registry did not answer about {0}: {1}",
        model,
        e.getStatus());
    return new ModelRegistryUnavailableException(
        "The fine-tuned model registry is unavailable, so "
            + model
            + " cannot be served now. Please retry shortly.",
        e);
  }
}
