package io.parley.embeddings.api.grpc;

import static io.parley.common.grpc.security.ServiceIdentity.GATEWAY;
import static io.parley.common.grpc.security.ServiceIdentity.OPERATOR;

import io.parley.common.grpc.security.CallerPolicy;
import io.parley.embeddings.v1.EmbeddingsServiceGrpc;

/**
 * Who may call each embeddings method: the gateway (which meters every request) embeds; operators
 * may list the models. Extend with {@code parley.grpc.extra-callers}.
 */
public final class EmbeddingsCallers {

  /** The allow-lists. */
  public static final CallerPolicy POLICY =
      CallerPolicy.builder()
          .allow(EmbeddingsServiceGrpc.getListModelsMethod(), GATEWAY, OPERATOR)
          .allow(EmbeddingsServiceGrpc.getEmbedMethod(), GATEWAY)
          .build();

  private EmbeddingsCallers() {}
}
