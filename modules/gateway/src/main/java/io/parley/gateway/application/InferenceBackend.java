package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;
import io.parley.gateway.domain.ModelInfo;
import io.parley.inference.v1.GenerateChunk;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.GenerateResponse;
import java.util.List;
import java.util.Optional;

/**
 * The inference service as the gateway's use cases see it (implemented by the gRPC client). Every
 * method fails with a {@link io.parley.gateway.domain.GatewayException}.
 */
public interface InferenceBackend {

  /** The models the inference service has loaded. */
  List<ModelInfo> listModels();

  /**
   * One model.
   *
   * @throws io.parley.gateway.domain.ModelNotFoundException when it is not hosted
   */
  ModelInfo getModel(String id);

  /** Generates whole completions (no streaming). */
  GenerateResponse generate(GenerateRequest request);

  /**
   * Starts a streamed generation and waits for its first chunk, so that a failure to start (model
   * not found, service down, bad argument) is thrown here, before anything was sent to the client.
   */
  StreamedGeneration openStream(GenerateRequest request);

  /**
   * The chunks of one streamed generation, read on the caller's thread. {@link #stop()} asks the
   * engine to stop and waits briefly for the usage of what it generated, so a client that goes away
   * is billed exactly; {@link #cancel()} cancels the call at once. Both are safe to call at any
   * time, also after the end.
   */
  interface StreamedGeneration extends AutoCloseable {

    /**
     * Waits for the next chunk.
     *
     * @return whether there is one
     * @throws io.parley.gateway.domain.GatewayException when the call failed
     */
    boolean hasNext();

    /** Whether another event has already arrived (reading it would not wait). */
    boolean ready();

    /**
     * Whether the next event has arrived and is a chunk: reading it would neither wait nor fail
     * (the end of the call and failures are left to {@link #hasNext()}).
     */
    boolean chunkReady();

    /** The next chunk; call {@link #hasNext()} first. */
    GenerateChunk next();

    /**
     * Stops the generation early and returns the usage the engine reports for what it generated
     * (chunks not yet read are skipped). Empty when the engine did not answer in time or the call
     * had already ended without a usage report; the call is cancelled then.
     */
    Optional<TokenUsage> stop();

    /** Cancels the call; the engine stops generating. */
    void cancel();

    /** Cancels the call (see {@link #cancel()}). */
    @Override
    void close();
  }
}
