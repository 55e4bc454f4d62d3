package io.parley.deployment;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback stand-in for the Kubernetes API, answering only what the chart's {@code lookup} asks:
 * discovery of v1 and GET of Secrets.
 *
 * <p>The Helm library's template action evaluates {@code lookup} against the cluster of the current
 * kubeconfig. The build points {@code KUBECONFIG} at a file in target/ and this server writes it,
 * so rendering never reaches a real cluster, and a test can pretend a Secret already exists (as on
 * an upgrade).
 */
final class FakeKubernetesApi implements AutoCloseable {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, Map<String, String>> secrets = new ConcurrentHashMap<>();
  private final HttpServer server;
  private final ExecutorService executor;

  private FakeKubernetesApi(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /** Starts the server and writes the kubeconfig named by the KUBECONFIG variable. */
  static FakeKubernetesApi start() {
    String kubeconfig = System.getenv("KUBECONFIG");
    if (kubeconfig == null || !kubeconfig.contains("target")) {
      throw new IllegalStateException(
          "KUBECONFIG must name a file under target/ (set by the surefire configuration of"
              + " modules/deployment), so that rendering the chart never contacts a real cluster;"
              + " it is "
              + kubeconfig);
    }
    try {
      HttpServer server =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
      ExecutorService executor =
          Executors.newSingleThreadExecutor(
              r -> {
                Thread thread = new Thread(r, "fake-kubernetes-api");
                thread.setDaemon(true);
                return thread;
              });
      server.setExecutor(executor);
      FakeKubernetesApi api = new FakeKubernetesApi(server, executor);
      server.createContext("/", api::handle);
      server.start();
      Path file = Path.of(kubeconfig);
      Files.createDirectories(file.getParent());
      Files.writeString(
          file,
          """
          apiVersion: v1
          kind: Config
          clusters:
            - name: fake
              cluster:
                server: http://127.0.0.1:%d
          users:
            - name: fake
              user: {}
          contexts:
            - name: fake
              context:
                cluster: fake
                user: fake
                namespace: default
          current-context: fake
          """
              .formatted(server.getAddress().getPort()));
      return api;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Makes a Secret exist, with the given plain-text data. */
  void putSecret(String namespace, String name, Map<String, String> data) {
    secrets.put(namespace + "/" + name, Map.copyOf(data));
  }

  /** Forgets every Secret. */
  void clear() {
    secrets.clear();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String[] path = exchange.getRequestURI().getPath().split("/");
      Object body;
      int status = 200;
      if (exchange.getRequestURI().getPath().equals("/api/v1")) {
        body =
            Map.of(
                "kind",
                "APIResourceList",
                "groupVersion",
                "v1",
                "resources",
                List.of(
                    Map.of(
                        "name",
                        "secrets",
                        "singularName",
                        "secret",
                        "namespaced",
                        true,
                        "kind",
                        "Secret",
                        "verbs",
                        List.of("get", "list"))));
      } else if (path.length == 7
          && path[3].equals("namespaces")
          && path[5].equals("secrets")
          && secrets.containsKey(path[4] + "/" + path[6])) {
        Map<String, String> encoded = new java.util.TreeMap<>();
        secrets
            .get(path[4] + "/" + path[6])
            .forEach(
                (key, value) ->
                    encoded.put(
                        key,
                        Base64.getEncoder()
                            .encodeToString(value.getBytes(StandardCharsets.UTF_8))));
        body =
            Map.of(
                "apiVersion",
                "v1",
                "kind",
                "Secret",
                "metadata",
                Map.of("name", path[6], "namespace", path[4]),
                "type",
                "Opaque",
                "data",
                encoded);
      } else {
        status = 404;
        body =
            Map.of(
                "apiVersion", "v1",
                "kind", "Status",
                "status", "Failure",
                "reason", "NotFound",
                "code", 404);
      }
      byte[] bytes = JSON.writeValueAsBytes(body);
      exchange.getResponseHeaders().add("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, bytes.length);
      exchange.getResponseBody().write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
