package it.io.parley.system;

import io.parley.testing.LibertyServer;
import io.parley.testing.Ports;
import io.parley.testing.TestCertificates;
import io.parley.testing.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The files platform on loopback: the usage service and the files service, each on a fresh
 * PostgreSQL database, and a gateway in front of them with a small heap (so that buffering a large
 * upload would fail). By default the gateway has no inference service: only its files, uploads and
 * admin endpoints are used; {@link #withInference} adds an inference server serving stories260K
 * that fetches fine-tuned models' adapters from this files service.
 */
final class FilesStack implements AutoCloseable {

  static final String POSTGRES = "jdbc:postgresql://127.0.0.1:5432/";
  static final String HEAP = "-Xmx256m";

  final String usageDatabase = "parley_it_u" + Long.toHexString(System.nanoTime());
  final String filesDatabase = "parley_it_f" + Long.toHexString(System.nanoTime());
  final String adminKey = "sk-admin-" + Long.toHexString(System.nanoTime()) + "0123456789abcdef";
  final int usageGrpcPort = Ports.free();
  final int usageHttpPort = Ports.free();
  final int filesGrpcPort = Ports.free();
  final int filesHttpPort = Ports.free();
  final int gatewayPort = Ports.free();
  final int inferenceGrpcPort = Ports.free();
  final int inferenceHttpPort = Ports.free();
  final Path output;
  final Path blobs;
  final LibertyServer usage;
  final LibertyServer files;
  final LibertyServer gateway;
  final Optional<LibertyServer> inference;
  final TestCertificates certs;

  FilesStack() {
    this(Map.of());
  }

  /**
   * @param filesEnv more environment of the files service (fine-tuning settings); the files service
   *     is given the usage service's target too
   */
  FilesStack(Map<String, String> filesEnv) {
    this(filesEnv, false);
  }

  /**
   * The stack with an inference server behind the gateway that serves stories260K and the
   * fine-tuned models the files service registers (their adapters fetched from it over mutual TLS).
   */
  static FilesStack withInference(Map<String, String> filesEnv) {
    return new FilesStack(filesEnv, true);
  }

  private FilesStack(Map<String, String> filesEnv, boolean withInference) {
    var root = Path.of(System.getProperty("parley.root", "../..")).toAbsolutePath().normalize();
    output =
        root.resolve(
            "modules/system-tests/target/servers/files-" + Long.toHexString(System.nanoTime()));
    blobs = output.resolve("blobs");
    try {
      Files.createDirectories(output);
      certs = TestCertificates.create(output.resolve("tls"));
      var keyFile = output.resolve("admin-key");
      Files.writeString(keyFile, adminKey + "\n");
      try (var c = DriverManager.getConnection(POSTGRES + "postgres", "postgres", "")) {
        c.createStatement().execute("CREATE DATABASE " + usageDatabase);
        c.createStatement().execute("CREATE DATABASE " + filesDatabase);
      }
      usage =
          LibertyServer.start(
              root,
              "usage",
              output,
              Map.of(
                  "HTTP_PORT", Integer.toString(usageHttpPort),
                  "PARLEY_GRPC_PORT", Integer.toString(usageGrpcPort),
                  "PARLEY_USAGE_DB_URL", POSTGRES + usageDatabase,
                  "PARLEY_USAGE_DB_USER", "postgres",
                  "PARLEY_USAGE_BOOTSTRAP_KEY_FILE", keyFile.toString()),
              certs);
      var filesEnvironment = new HashMap<String, String>(filesEnv);
      filesEnvironment.put("HTTP_PORT", Integer.toString(filesHttpPort));
      filesEnvironment.put("PARLEY_GRPC_PORT", Integer.toString(filesGrpcPort));
      filesEnvironment.put("PARLEY_FILES_DB_URL", POSTGRES + filesDatabase);
      filesEnvironment.put("PARLEY_FILES_DB_USER", "postgres");
      filesEnvironment.put("PARLEY_FILES_STORE_DIRECTORY", blobs.toString());
      filesEnvironment.put("PARLEY_USAGE_TARGET", "127.0.0.1:" + usageGrpcPort);
      filesEnvironment.put("JVM_ARGS", HEAP);
      files = LibertyServer.start(root, "files", output, filesEnvironment, certs);
      inference =
          withInference
              ? Optional.of(
                  LibertyServer.start(
                      root,
                      "inference",
                      output,
                      Map.of(
                          "HTTP_PORT",
                          Integer.toString(inferenceHttpPort),
                          "PARLEY_GRPC_PORT",
                          Integer.toString(inferenceGrpcPort),
                          "PARLEY_INFERENCE_MODELS",
                          ParleyStack.MODEL,
                          "PARLEY_INFERENCE_MODEL_STORIES260K_PATH",
                          TestModels.stories260k().toString(),
                          "PARLEY_INFERENCE_THREADS",
                          "1",
                          "PARLEY_INFERENCE_SLOTS",
                          "4",
                          "PARLEY_INFERENCE_CACHE_DIR",
                          output.resolve("cache").toString(),
                          "PARLEY_FILES_TARGET",
                          "127.0.0.1:" + filesGrpcPort),
                      certs))
              : Optional.empty();
      var env = new HashMap<String, String>();
      env.put("HTTP_PORT", Integer.toString(gatewayPort));
      env.put(
          "PARLEY_INFERENCE_TARGET",
          "127.0.0.1:" + (withInference ? inferenceGrpcPort : Ports.free()));
      env.put("PARLEY_USAGE_TARGET", "127.0.0.1:" + usageGrpcPort);
      env.put("PARLEY_FILES_TARGET", "127.0.0.1:" + filesGrpcPort);
      env.put("PARLEY_GATEWAY_ADMIN_KEY_FILE", keyFile.toString());
      env.put("PARLEY_GATEWAY_ADMIN_KEY_GENERATE", "false");
      env.put("PARLEY_GATEWAY_AUTH_CACHE_MS", "200");
      env.put("JVM_ARGS", HEAP);
      gateway = LibertyServer.start(root, "gateway", output, env, certs);
      usage.awaitReady(
          URI.create("http://127.0.0.1:" + usageHttpPort + "/health/ready"), Duration.ofMinutes(3));
      files.awaitReady(
          URI.create("http://127.0.0.1:" + filesHttpPort + "/health/ready"), Duration.ofMinutes(3));
      if (inference.isPresent()) {
        inference
            .get()
            .awaitReady(
                URI.create("http://127.0.0.1:" + inferenceHttpPort + "/health/ready"),
                Duration.ofMinutes(3));
      }
      gateway.awaitReady(
          URI.create(
              "http://127.0.0.1:"
                  + gatewayPort
                  + (withInference ? "/health/ready" : "/health/live")),
          Duration.ofMinutes(3));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL on 127.0.0.1:5432 is needed", e);
    }
  }

  String baseUrl() {
    return "http://127.0.0.1:" + gatewayPort + "/v1";
  }

  /** Process id of a server of this stack. */
  long pid(String service) throws IOException {
    return Long.parseLong(Files.readString(output.resolve(".pid/" + service + ".pid")).strip());
  }

  /** Resident memory of a process, in bytes. */
  static long rss(long pid) throws IOException {
    for (var line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IOException("no VmRSS for " + pid);
  }

  /** Rows of a table of the files database. */
  long filesRows(String table) throws SQLException {
    try (var c = DriverManager.getConnection(POSTGRES + filesDatabase, "postgres", "");
        var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Regular files under the blob directory (committed and temporary). */
  long blobCount() throws IOException {
    if (!Files.exists(blobs)) {
      return 0;
    }
    try (var all = Files.walk(blobs)) {
      return all.filter(Files::isRegularFile).count();
    }
  }

  /** How long each server's messages.log is now. */
  Map<Path, Integer> logMarks() throws IOException {
    var marks = new java.util.HashMap<Path, Integer>();
    for (var file : messageLogs()) {
      marks.put(file, Files.readString(file).length());
    }
    return marks;
  }

  /** What the servers logged in their messages.log files (FFDC incidents are announced there). */
  String logsSince(Map<Path, Integer> marks) throws IOException {
    var all = new StringBuilder();
    for (var file : messageLogs()) {
      var text = Files.readString(file);
      all.append(file)
          .append('\n')
          .append(text.substring(Math.min(text.length(), marks.getOrDefault(file, 0))));
    }
    return all.toString();
  }

  private List<Path> messageLogs() throws IOException {
    try (var found = Files.walk(output)) {
      return found.filter(f -> f.getFileName().toString().equals("messages.log")).sorted().toList();
    }
  }

  @Override
  public void close() {
    for (var server :
        new LibertyServer[] {
          gateway, inference == null ? null : inference.orElse(null), files, usage
        }) {
      if (server != null) {
        server.close();
      }
    }
    try (var c = DriverManager.getConnection(POSTGRES + "postgres", "postgres", "")) {
      c.createStatement().execute("DROP DATABASE IF EXISTS " + usageDatabase + " WITH (FORCE)");
      c.createStatement().execute("DROP DATABASE IF EXISTS " + filesDatabase + " WITH (FORCE)");
    } catch (SQLException e) {
      // left behind; named parley_it_* for cleanup
    }
  }
}
