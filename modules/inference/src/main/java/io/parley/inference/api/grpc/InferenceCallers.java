package io.parley.inference.api.grpc;

import static io.parley.common.grpc.security.ServiceIdentity.FILES;
import static io.parley.common.grpc.security.ServiceIdentity.GATEWAY;
import static io.parley.common.grpc.security.ServiceIdentity.OPERATOR;

import io.parley.common.grpc.security.CallerPolicy;
import io.parley.inference.v1.InferenceServiceGrpc;

/**
 * Who may call each inference method. Generation is billed by its caller, so only the gateway
 * (which reserves and settles every request) and the files service (fine-tuning evaluation) may
 * generate; operators may look at the models and tokenize. Extend with {@code
 * parley.grpc.extra-callers}.
 */
public final class InferenceCallers {

  /** The allow-lists. */
  public static final CallerPolicy POLICY =
      CallerPolicy.builder()
          .allow(InferenceServiceGrpc.getListModelsMethod(), GATEWAY, FILES, OPERATOR)
          .allow(InferenceServiceGrpc.getGetModelMethod(), GATEWAY, FILES, OPERATOR)
          .allow(InferenceServiceGrpc.getTokenizeMethod(), GATEWAY, FILES, OPERATOR)
          .allow(InferenceServiceGrpc.getGenerateMethod(), GATEWAY, FILES)
          .allow(InferenceServiceGrpc.getStreamGenerateMethod(), GATEWAY, FILES)
          .allow(InferenceServiceGrpc.getStoppableStreamGenerateMethod(), GATEWAY, FILES)
          .build();

  private InferenceCallers() {}
}
