package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.moderations.ModerationCreateParams;
import io.grpc.ManagedChannel;
import io.parley.common.grpc.Channels;
import io.parley.common.grpc.security.GrpcSecurity;
import io.parley.common.grpc.security.MutualTls;
import io.parley.inference.v1.InferenceServiceGrpc;
import io.parley.testing.Ports;
import io.parley.testing.TestModels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The platform as container images: {@code ./parley images} builds every service's image and {@code
 * ./parley up --containers} runs each in its own container on the project network (its own half,
 * 198.18.7.128/25, and container names of its own, so a stack started by hand is left alone); the
 * official OpenAI SDK then talks to the gateway container: the whole {@link OpenAiSdkSuite}, and
 * embeddings, moderation and files from their containers. Runs in the {@code containers} profile
 * (podman required), which CI runs.
 */
class ContainersIT extends OpenAiSdkSuite {

  static final Path ROOT =
      Path.of(System.getProperty("parley.root", "../..")).toAbsolutePath().normalize();
  static final Path HOME = ROOT.resolve("modules/system-tests/target/containers-home");

  static final Map<String, String> ENV = new HashMap<>();
  static OpenAIClient client;
  static String adminKey;
  static ManagedChannel channel;
  static InferenceServiceGrpc.InferenceServiceBlockingStub inference;

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(HOME);
    ENV.put("PARLEY_HOME", HOME.toString());
    ENV.put("PARLEY_CONTAINER_PREFIX", "parley-it");
    ENV.put("PARLEY_NETWORK", "parley-it");
    ENV.put("PARLEY_NETWORK_SUBNET", "198.18.7.128/25");
    ENV.put("PARLEY_MODEL", TestModels.stories260k().toString());
    ENV.put("PARLEY_PORT", Integer.toString(Ports.free()));
    for (var service : List.of("INFERENCE", "EMBEDDINGS", "USAGE", "SAFETY", "FILES")) {
      ENV.put("PARLEY_" + service + "_HTTP_PORT", Integer.toString(Ports.free()));
    }
    ENV.put("PARLEY_JAVA_HOME", System.getProperty("parley.java.home", ""));
    parley(Duration.ofMinutes(20), "down");
    // Fresh images of this build, then the stack.
    parley(Duration.ofMinutes(20), "images");
    parley(Duration.ofMinutes(15), "up", "--containers");
    adminKey = Files.readString(HOME.resolve("admin-key")).strip();
    client = sdk(adminKey);
    // Inference's gRPC port on its container address (the project network), with the gateway's
    // identity from the stack's own CA.
    var address =
        podman(
                "inspect",
                "--format",
                "{{(index .NetworkSettings.Networks \"parley-it\").IPAddress}}",
                "parley-it-inference")
            .strip();
    var tls = HOME.resolve("tls");
    channel =
        Channels.open(
            address + ":9090",
            64 << 20,
            MutualTls.load(
                GrpcSecurity.of(
                    tls.resolve("gateway.crt"),
                    tls.resolve("gateway.key"),
                    tls.resolve("ca.crt"),
                    Duration.ofSeconds(30))),
            "inference");
    inference = InferenceServiceGrpc.newBlockingStub(channel);
  }

  @Override
  OpenAIClient client() {
    return client;
  }

  @Override
  OpenAIClient client(String apiKey) {
    return sdk(apiKey);
  }

  @Override
  InferenceServiceGrpc.InferenceServiceBlockingStub inference() {
    return inference;
  }

  @AfterAll
  static void stop() throws Exception {
    if (channel != null) {
      Channels.close(channel);
    }
    if (client != null) {
      client.close();
    }
    parley(Duration.ofMinutes(5), "down");
  }

  static OpenAIClient sdk(String key) {
    return OpenAIOkHttpClient.builder()
        .baseUrl("http://127.0.0.1:" + ENV.get("PARLEY_PORT") + "/v1")
        .apiKey(key)
        .maxRetries(0)
        .timeout(Duration.ofSeconds(120))
        .build();
  }

  /** Runs the project's own script, failing with its output when it fails. */
  static void parley(Duration timeout, String... args) throws Exception {
    var command = new ArrayList<String>();
    command.add(ROOT.resolve("parley").toString());
    command.addAll(List.of(args));
    var log = HOME.resolve("parley-" + String.join("-", args).replace("--", "") + ".log");
    var process =
        new ProcessBuilder(command)
            .directory(ROOT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    process.environment().putAll(ENV);
    var running = process.start();
    if (!running.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      running.destroyForcibly();
      throw new AssertionError("./parley " + String.join(" ", args) + " timed out: " + read(log));
    }
    assertThat(running.exitValue())
        .as("./parley %s failed:%n%s", String.join(" ", args), read(log))
        .isZero();
  }

  static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void embeddings_fromTheEmbeddingsContainer() {
    var response =
        client
            .embeddings()
            .create(
                EmbeddingCreateParams.builder()
                    .model("all-minilm-l6-v2")
                    .input("A cat sat on the mat.")
                    .build());

    assertThat(response.data()).hasSize(1);
    assertThat(response.data().getFirst().embedding()).hasSize(384);
  }

  @Test
  void moderation_fromTheSafetyContainer() {
    var response =
        client
            .moderations()
            .create(ModerationCreateParams.builder().input("I will kill you.").build());

    assertThat(response.results()).hasSize(1);
    assertThat(response.results().getFirst().flagged()).isTrue();
  }

  @Test
  void file_uploadedAndReadBack_throughTheFilesContainer() throws Exception {
    var bytes = new byte[300_000];
    new java.util.Random(7).nextBytes(bytes);
    var path = HOME.resolve("upload.bin");
    Files.write(path, bytes);

    var file =
        client
            .files()
            .create(
                com.openai.models.files.FileCreateParams.builder()
                    .file(path)
                    .purpose(com.openai.models.files.FilePurpose.USER_DATA)
                    .build());

    assertThat(file.id()).startsWith("file-");
    assertThat(file.bytes()).isEqualTo(bytes.length);
    try (var response = client.files().content(file.id())) {
      assertThat(response.body().readAllBytes()).isEqualTo(bytes);
    }
    client.files().delete(file.id());
  }

  @Test
  void containers_logJsonLines_andRunAsUser1001OnAReadOnlyRoot() throws Exception {
    var logs = podman("logs", "parley-it-gateway");
    var lines = logs.lines().filter(line -> !line.isBlank()).toList();
    assertThat(lines).isNotEmpty();
    assertThat(lines)
        .filteredOn(line -> line.startsWith("{"))
        .as("JSON log lines")
        .anySatisfy(line -> assertThat(line).contains("\"message\"").contains("\"loglevel\""));
    assertThat(
            podman(
                "inspect",
                "--format",
                "{{.Config.User}} {{.HostConfig.ReadonlyRootfs}}",
                "parley-it-inference"))
        .isEqualToIgnoringWhitespace("1001:0 true");
  }

  static String podman(String... args) throws Exception {
    var command =
        new ArrayList<String>(
            List.of("podman", "--runtime", "runc", "--cgroup-manager", "cgroupfs"));
    command.addAll(List.of(args));
    var process = new ProcessBuilder(command).redirectErrorStream(true).start();
    var output = new String(process.getInputStream().readAllBytes());
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as("podman %s: %s", String.join(" ", args), output).isZero();
    return output;
  }
}
