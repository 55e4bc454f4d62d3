package io.parley.gateway.application;

import io.parley.embeddings.v1.EmbedRequest;
import io.parley.embeddings.v1.EmbedResponse;
import io.parley.gateway.domain.ModelInfo;
import io.parley.gateway.domain.ServiceNotConfiguredException;
import java.util.List;

/**
 * The embeddings service as the gateway's use cases see it (implemented by the gRPC client). Every
 * method fails with a {@link io.parley.gateway.domain.GatewayException}.
 */
public interface EmbeddingsBackend {

  /** The service's name in messages. */
  String SERVICE = "embeddings";

  /** Whether an embeddings service is configured. */
  boolean enabled();

  /**
   * The embedding models the service has loaded.
   *
   * @throws ServiceNotConfiguredException when no service is configured
   */
  List<ModelInfo> listModels();

  /**
   * Embeds a batch of inputs.
   *
   * @throws ServiceNotConfiguredException when no service is configured
   * @throws io.parley.gateway.domain.ModelNotFoundException when the model is not loaded
   * @throws io.parley.gateway.domain.InvalidRequestException when the service rejects an argument
   *     (an input past the model's context, {@code dimensions} the model does not allow)
   */
  EmbedResponse embed(EmbedRequest request);

  /** The answer of the endpoint when no embeddings service is configured. */
  static ServiceNotConfiguredException notConfigured() {
    return new ServiceNotConfiguredException(SERVICE, "Embeddings", "parley.embeddings.target");
  }
}
