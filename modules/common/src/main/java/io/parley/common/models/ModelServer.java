package io.parley.common.models;

import io.parley.common.grpc.GrpcServerRunner;
import java.util.function.BooleanSupplier;

/**
 * A service that serves loaded models over gRPC: the server takes calls at once (not serving in the
 * gRPC health service), the models load on a background thread, and the server reports serving once
 * they are all loaded. Closing stops the server gracefully, then the models.
 */
public final class ModelServer implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(ModelServer.class.getName());

  private final GrpcServerRunner server;
  private final AutoCloseable models;
  private final Thread loader;

  /**
   * Starts loading.
   *
   * @param service the service's name, for the log and the loader thread
   * @param server the started gRPC server
   * @param loadAll loads every configured model (runs on the loader thread)
   * @param ready whether every configured model is loaded
   * @param models closes the loaded models
   */
  public ModelServer(
      String service,
      GrpcServerRunner server,
      Runnable loadAll,
      BooleanSupplier ready,
      AutoCloseable models) {
    this.server = server;
    this.models = models;
    server.setServing(false);
    LOG.log(
        System.Logger.Level.INFO,
        "{0} gRPC listening on port {1}",
        service,
        Integer.toString(server.port()));
    this.loader =
        Thread.ofPlatform()
            .name("parley-" + service.toLowerCase(java.util.Locale.ROOT) + "-model-loader")
            .daemon()
            .start(
                () -> {
                  loadAll.run();
                  server.setServing(ready.getAsBoolean());
                });
  }

  @Override
  public void close() {
    server.close();
    loader.interrupt();
    try {
      models.close();
    } catch (Exception e) {
      LOG.log(System.Logger.Level.WARNING, "Closing the models failed", e);
    }
  }
}
