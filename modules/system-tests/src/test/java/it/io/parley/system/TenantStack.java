package it.io.parley.system;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.testing.LibertyServer;
import io.parley.testing.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The multi-tenant platform on loopback: the usage service on a fresh PostgreSQL database, and two
 * gateway replicas that share their rate limits through Redis, in front of the shared inference
 * server of {@link ParleyStack}.
 */
final class TenantStack implements AutoCloseable {

  static final String POSTGRES = "jdbc:postgresql://127.0.0.1:5432/";

  final ParleyStack base = ParleyStack.shared();
  final String database = "parley_it_" + Long.toHexString(System.nanoTime());
  final String adminKey = "sk-admin-" + Long.toHexString(System.nanoTime()) + "0123456789abcdef";
  final int usageGrpcPort = Ports.free();
  final int usageHttpPort = Ports.free();
  final int[] gatewayPorts = {Ports.free(), Ports.free()};
  static final ObjectMapper JSON = new ObjectMapper();

  /** HTTP/1.1 client for the tests' calls. */
  final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();

  final Path root;
  final Path output;
  LibertyServer usage;
  final LibertyServer[] gateways = new LibertyServer[2];
  private Map<String, String> usageEnv;
  private final List<Map<String, String>> gatewayEnvs = new ArrayList<>();

  TenantStack() {
    this(Map.of(), Map.of());
  }

  /**
   * @param gatewayEnv settings of both gateway replicas, over the defaults below
   * @param replica1Env settings of replica 1 only
   */
  TenantStack(Map<String, String> gatewayEnv, Map<String, String> replica1Env) {
    root = Path.of(System.getProperty("parley.root", "../..")).toAbsolutePath().normalize();
    // Its own directory: a gateway replays the usage journal it finds there at start.
    output = root.resolve("modules/system-tests/target/servers/tenants").resolve(database);
    try {
      Files.createDirectories(output);
      var keyFile = output.resolve("admin-key");
      Files.writeString(keyFile, adminKey + "\n");
      try (var c = DriverManager.getConnection(POSTGRES + "postgres", "postgres", "")) {
        c.createStatement().execute("CREATE DATABASE " + database);
      }
      usageEnv =
          Map.of(
              "HTTP_PORT",
              Integer.toString(usageHttpPort),
              "PARLEY_GRPC_PORT",
              Integer.toString(usageGrpcPort),
              "PARLEY_USAGE_DB_URL",
              POSTGRES + database,
              "PARLEY_USAGE_DB_USER",
              "postgres",
              "PARLEY_USAGE_BOOTSTRAP_KEY_FILE",
              keyFile.toString(),
              "PARLEY_USAGE_PRICES",
              ParleyStack.MODEL + "=1000000/2000000");
      usage = LibertyServer.start(root, "usage", output, usageEnv, base.certs);
      usage.awaitReady(
          URI.create("http://127.0.0.1:" + usageHttpPort + "/health/ready"), Duration.ofMinutes(3));
      var prefix = "parley:it:" + Long.toHexString(System.nanoTime()) + ":";
      for (int i = 0; i < 2; i++) {
        var env = new HashMap<String, String>();
        env.put("HTTP_PORT", Integer.toString(gatewayPorts[i]));
        env.put("PARLEY_INFERENCE_TARGET", "127.0.0.1:" + base.inferenceGrpcPort);
        env.put("PARLEY_USAGE_TARGET", "127.0.0.1:" + usageGrpcPort);
        env.put("PARLEY_GATEWAY_ADMIN_KEY_FILE", keyFile.toString());
        env.put("PARLEY_GATEWAY_ADMIN_KEY_GENERATE", "false");
        env.put("PARLEY_GATEWAY_LIMITER", "redis");
        env.put("PARLEY_GATEWAY_REDIS_URL", "redis://127.0.0.1:6379");
        env.put("PARLEY_GATEWAY_REDIS_PREFIX", prefix);
        env.put("PARLEY_GATEWAY_REDIS_FAIL_OPEN", "false");
        // A loaded CI host can stall Redis past the 200 ms default; the tests are about exactness,
        // not
        // about the store's latency.
        env.put("PARLEY_GATEWAY_REDIS_TIMEOUT_MS", "2000");
        env.put("PARLEY_GATEWAY_AUTH_CACHE_MS", "200");
        env.put("PARLEY_GATEWAY_LIMITS_CACHE_MS", "200");
        env.putAll(gatewayEnv);
        if (i == 1) {
          env.putAll(replica1Env);
        }
        gatewayEnvs.add(Map.copyOf(env));
        gateways[i] =
            LibertyServer.start(root, "gateway", output.resolve("gw" + i), env, base.certs);
      }
      for (int i = 0; i < 2; i++) {
        gateways[i].awaitReady(
            URI.create("http://127.0.0.1:" + gatewayPorts[i] + "/health/ready"),
            Duration.ofMinutes(3));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (SQLException e) {
      throw new IllegalStateException("PostgreSQL on 127.0.0.1:5432 is needed", e);
    }
  }

  /**
   * An HTTP answer: status, body as JSON (a text node when it is not JSON) and the raw response.
   */
  record Reply(int status, JsonNode body, HttpResponse<String> raw) {}

  /** An organization made through the admin API, with its owner and the owner's key. */
  record Org(String id, String ownerKey, String ownerUser) {}

  /** A call to gateway replica {@code replica}'s API ({@code path} after {@code /v1}). */
  Reply call(int replica, String method, String path, String key, String org, String body)
      throws IOException, InterruptedException {
    var builder =
        HttpRequest.newBuilder(URI.create(baseUrl(replica) + path))
            .timeout(Duration.ofSeconds(60))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (key != null) {
      builder.header("Authorization", "Bearer " + key);
    }
    if (org != null) {
      builder.header("OpenAI-Organization", org);
    }
    if (body != null) {
      builder.header("Content-Type", "application/json");
    }
    var response = http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
    JsonNode json;
    try {
      json = response.body().isBlank() ? JSON.nullNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      json = JSON.getNodeFactory().textNode("NOT JSON: " + response.body());
    }
    return new Reply(response.statusCode(), json, response);
  }

  /** Creates an organization (as the admin, through replica 0) and a key of its owner. */
  Org organization(String name) throws IOException, InterruptedException {
    var created =
        call(
            0,
            "POST",
            "/organizations",
            adminKey,
            null,
            "{\"name\":\"" + name + "\",\"owner\":\"owner@" + name + ".test\"}");
    if (created.status() != 200) {
      throw new IllegalStateException("creating organization " + name + ": " + created.body());
    }
    var org = created.body().path("id").asText();
    var owner = created.body().path("owner").asText();
    var key =
        call(
            0,
            "POST",
            "/organization/api_keys",
            adminKey,
            org,
            "{\"name\":\"owner key\",\"user_id\":\"" + owner + "\"}");
    if (key.status() != 200) {
      throw new IllegalStateException("creating a key in " + org + ": " + key.body());
    }
    return new Org(org, key.body().path("value").asText(), owner);
  }

  /** Kills gateway replica {@code i} with SIGKILL, as a crash would. */
  void killGateway(int i) {
    gateways[i].kill();
    gateways[i] = null;
  }

  /** Starts gateway replica {@code i} again, as before (same settings, same output directory). */
  void startGateway(int i) {
    gateways[i] =
        LibertyServer.start(
            root, "gateway", output.resolve("gw" + i), gatewayEnvs.get(i), base.certs);
    gateways[i].awaitReady(
        URI.create("http://127.0.0.1:" + gatewayPorts[i] + "/health/ready"), Duration.ofMinutes(3));
  }

  /** Stops the usage service (a clean stop). */
  void stopUsage() {
    usage.close();
    usage = null;
  }

  /** Starts the usage service again on the same database and ports. */
  void startUsage() {
    usage = LibertyServer.start(root, "usage", output, usageEnv, base.certs);
    usage.awaitReady(
        URI.create("http://127.0.0.1:" + usageHttpPort + "/health/ready"), Duration.ofMinutes(3));
  }

  /** Base URL of gateway replica {@code i}. */
  String baseUrl(int i) {
    return "http://127.0.0.1:" + gatewayPorts[i] + "/v1";
  }

  /** Every row of every table of the usage database, as text. */
  String dumpDatabase() throws SQLException {
    var dump = new StringBuilder();
    try (var c = DriverManager.getConnection(POSTGRES + database, "postgres", "")) {
      var tables =
          c.createStatement()
              .executeQuery(
                  "SELECT table_schema, table_name FROM information_schema.tables"
                      + " WHERE table_schema NOT IN ('pg_catalog','information_schema')");
      var names = new java.util.ArrayList<String>();
      while (tables.next()) {
        names.add("\"" + tables.getString(1) + "\".\"" + tables.getString(2) + "\"");
      }
      for (var table : names) {
        var rows = c.createStatement().executeQuery("SELECT * FROM " + table);
        int columns = rows.getMetaData().getColumnCount();
        while (rows.next()) {
          for (int col = 1; col <= columns; col++) {
            dump.append(rows.getString(col)).append('|');
          }
          dump.append('\n');
        }
      }
    }
    return dump.toString();
  }

  /** Everything the servers logged. */
  String logs() throws IOException {
    var all = new StringBuilder();
    try (var files = Files.walk(output)) {
      for (var file : files.filter(f -> f.toString().endsWith(".log")).toList()) {
        all.append(Files.readString(file));
      }
    }
    return all.toString();
  }

  @Override
  public void close() {
    for (var gateway : gateways) {
      if (gateway != null) {
        gateway.close();
      }
    }
    if (usage != null) {
      usage.close();
    }
    try (var c = DriverManager.getConnection(POSTGRES + "postgres", "postgres", "")) {
      c.createStatement().execute("DROP DATABASE IF EXISTS " + database + " WITH (FORCE)");
    } catch (SQLException e) {
      // left behind; named parley_it_* for cleanup
    }
  }
}
