package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Channel;
import io.grpc.ChannelCredentials;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.parley.common.grpc.Channels;
import io.parley.common.grpc.GrpcErrors;
import io.parley.common.v1.TokenUsage;
import io.parley.embeddings.v1.EmbedRequest;
import io.parley.embeddings.v1.EmbeddingsServiceGrpc;
import io.parley.files.v1.Caller;
import io.parley.files.v1.DeleteFileRequest;
import io.parley.files.v1.FilesServiceGrpc;
import io.parley.files.v1.GetStorageUsageRequest;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.InferenceServiceGrpc;
import io.parley.inference.v1.ListModelsRequest;
import io.parley.safety.v1.GetPolicyRequest;
import io.parley.safety.v1.ModerateRequest;
import io.parley.safety.v1.SafetyServiceGrpc;
import io.parley.safety.v1.SetPolicyRequest;
import io.parley.testing.LibertyServer;
import io.parley.testing.Ports;
import io.parley.usage.v1.CreateApiKeyRequest;
import io.parley.usage.v1.ListOrganizationsRequest;
import io.parley.usage.v1.SettleRequest;
import io.parley.usage.v1.UsageServiceGrpc;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every internal gRPC service (inference, embeddings, safety, usage, files) over its real Liberty
 * server: only a caller with a certificate of the platform CA whose identity is on the method's
 * allow-list gets through. No certificate, no TLS, a certificate of another CA: the handshake
 * fails. A platform certificate without an identity: UNAUTHENTICATED. Another service's identity on
 * a method it may not call: PERMISSION_DENIED. The allowed identity: served.
 */
class InternalTrustIT {

  private static final ParleyStack STACK = ParleyStack.shared();
  private static final int USAGE_HTTP = Ports.free();
  private static final int USAGE_GRPC = Ports.free();
  private static final int FILES_HTTP = Ports.free();
  private static final int FILES_GRPC = Ports.free();
  private static LibertyServer usage;
  private static LibertyServer files;

  private final List<ManagedChannel> channels = new ArrayList<>();

  /**
   * One service: where it listens, a call its allowed identity makes, and a call that another
   * service's identity is not allowed to make.
   */
  record Target(
      String service,
      int port,
      String allowedIdentity,
      Consumer<Channel> allowedCall,
      String refusedIdentity,
      Consumer<Channel> refusedCall) {

    @Override
    public String toString() {
      return service;
    }
  }

  @BeforeAll
  static void startUsage() throws IOException {
    var root = Path.of(System.getProperty("parley.root", "../..")).toAbsolutePath().normalize();
    var output = root.resolve("modules/system-tests/target/servers/trust");
    Files.createDirectories(output);
    usage =
        LibertyServer.start(
            root,
            "usage",
            output,
            java.util.Map.of(
                "HTTP_PORT", Integer.toString(USAGE_HTTP),
                "PARLEY_GRPC_PORT", Integer.toString(USAGE_GRPC),
                "PARLEY_DATA_DIR", output.resolve("data-" + System.nanoTime()).toString(),
                "PARLEY_USAGE_BOOTSTRAP_KEY_FILE", output.resolve("admin-key").toString()),
            STACK.certs);
    var filesData = output.resolve("files-" + System.nanoTime());
    files =
        LibertyServer.start(
            root,
            "files",
            output,
            java.util.Map.of(
                "HTTP_PORT", Integer.toString(FILES_HTTP),
                "PARLEY_GRPC_PORT", Integer.toString(FILES_GRPC),
                "PARLEY_DATA_DIR", filesData.toString(),
                "PARLEY_FILES_STORE_DIRECTORY", filesData.resolve("blobs").toString()),
            STACK.certs);
    usage.awaitReady(
        URI.create("http://127.0.0.1:" + USAGE_HTTP + "/health/ready"), Duration.ofMinutes(3));
    files.awaitReady(
        URI.create("http://127.0.0.1:" + FILES_HTTP + "/health/ready"), Duration.ofMinutes(3));
  }

  @AfterAll
  static void stopUsage() {
    try {
      if (files != null) {
        files.close();
      }
    } finally {
      if (usage != null) {
        usage.close();
      }
    }
  }

  @AfterEach
  void closeChannels() {
    channels.forEach(Channels::close);
  }

  static Stream<Target> targets() {
    return Stream.of(
        new Target(
            "inference",
            STACK.inferenceGrpcPort,
            "gateway",
            c ->
                assertThat(
                        InferenceServiceGrpc.newBlockingStub(c)
                            .withDeadlineAfter(10, TimeUnit.SECONDS)
                            .listModels(ListModelsRequest.getDefaultInstance())
                            .getModelsList())
                    .isNotEmpty(),
            "embeddings",
            c ->
                InferenceServiceGrpc.newBlockingStub(c)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .generate(GenerateRequest.newBuilder().setModel(ParleyStack.MODEL).build())),
        new Target(
            "embeddings",
            STACK.embeddingsGrpcPort,
            "gateway",
            c ->
                assertThat(
                        EmbeddingsServiceGrpc.newBlockingStub(c)
                            .withDeadlineAfter(10, TimeUnit.SECONDS)
                            .listModels(
                                io.parley.embeddings.v1.ListModelsRequest.getDefaultInstance())
                            .getModelsList())
                    .isNotEmpty(),
            "safety",
            c ->
                EmbeddingsServiceGrpc.newBlockingStub(c)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .embed(EmbedRequest.newBuilder().setModel("all-minilm-l6-v2").build())),
        new Target(
            "safety",
            STACK.safetyGrpcPort,
            "operator",
            c ->
                assertThat(
                        SafetyServiceGrpc.newBlockingStub(c)
                            .withDeadlineAfter(10, TimeUnit.SECONDS)
                            .getPolicy(
                                GetPolicyRequest.newBuilder().setOrganization("org-x").build()))
                    .isNotNull(),
            "inference",
            c ->
                SafetyServiceGrpc.newBlockingStub(c)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .setPolicy(SetPolicyRequest.newBuilder().setOrganization("org-x").build())),
        new Target(
            "usage",
            USAGE_GRPC,
            "gateway",
            c ->
                assertThat(
                        UsageServiceGrpc.newBlockingStub(c)
                            .withDeadlineAfter(10, TimeUnit.SECONDS)
                            .listOrganizations(
                                ListOrganizationsRequest.newBuilder()
                                    .setUser("user-nobody")
                                    .build())
                            .getOrganizationsList())
                    .isNotNull(),
            "inference",
            c ->
                UsageServiceGrpc.newBlockingStub(c)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .createApiKey(
                        CreateApiKeyRequest.newBuilder()
                            .setOrganization("org-default")
                            .setName("stolen")
                            .build())),
        new Target(
            "files",
            FILES_GRPC,
            "gateway",
            c ->
                assertThat(
                        FilesServiceGrpc.newBlockingStub(c)
                            .withDeadlineAfter(10, TimeUnit.SECONDS)
                            .getStorageUsage(
                                GetStorageUsageRequest.newBuilder()
                                    .setCaller(Caller.newBuilder().setOrganization("org-x"))
                                    .build())
                            .getBytes())
                    .isZero(),
            "inference",
            c ->
                FilesServiceGrpc.newBlockingStub(c)
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .deleteFile(
                        DeleteFileRequest.newBuilder()
                            .setCaller(Caller.newBuilder().setOrganization("org-x"))
                            .setFileId("file-abc")
                            .build())));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("targets")
  void withoutAClientCertificate_theHandshakeFails(Target target) throws IOException {
    var trustOnly =
        TlsChannelCredentials.newBuilder().trustManager(STACK.certs.caFile().toFile()).build();

    assertRefusedAtHandshake(target, channel(target, trustOnly));
    assertRefusedAtHandshake(target, channel(target, InsecureChannelCredentials.create()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("targets")
  void withACertificateFromAnotherCa_theHandshakeFails(Target target) throws IOException {
    var foreign =
        TlsChannelCredentials.newBuilder()
            .keyManager(
                STACK.certs.foreignCertFile(target.allowedIdentity()).toFile(),
                STACK.certs.foreignKeyFile(target.allowedIdentity()).toFile())
            .trustManager(STACK.certs.caFile().toFile())
            .build();

    assertRefusedAtHandshake(target, channel(target, foreign));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("targets")
  void withAPlatformCertificateWithoutIdentity_isUnauthenticated(Target target) throws IOException {
    var anonymous =
        TlsChannelCredentials.newBuilder()
            .keyManager(
                STACK.certs.anonymousCertFile().toFile(), STACK.certs.anonymousKeyFile().toFile())
            .trustManager(STACK.certs.caFile().toFile())
            .build();

    assertRefused(
        target,
        channel(target, anonymous),
        Status.Code.UNAUTHENTICATED,
        GrpcErrors.CALLER_UNAUTHENTICATED);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("targets")
  void anotherServicesIdentity_onAMethodItMayNotCall_isPermissionDenied(Target target) {
    var channel = platformChannel(target, target.refusedIdentity());

    assertRefused(target, channel, Status.Code.PERMISSION_DENIED, GrpcErrors.CALLER_NOT_ALLOWED);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("targets")
  void theAllowedIdentity_isServed(Target target) {
    var channel = platformChannel(target, target.allowedIdentity());

    target.allowedCall().accept(channel);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("targets")
  void theAllowedIdentity_stillCannotCallWhatItIsNotListedFor(Target target) {
    // The allowed identity of one method is not a pass for every method: operators may not
    // generate or bill, and the gateway may not call a method no one listed for it.
    var operator = platformChannel(target, "operator");
    Consumer<Channel> forbidden =
        switch (target.service()) {
          case "inference" ->
              c ->
                  InferenceServiceGrpc.newBlockingStub(c)
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .generate(GenerateRequest.newBuilder().setModel(ParleyStack.MODEL).build());
          case "embeddings" ->
              c ->
                  EmbeddingsServiceGrpc.newBlockingStub(c)
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .embed(EmbedRequest.getDefaultInstance());
          case "safety" ->
              c ->
                  SafetyServiceGrpc.newBlockingStub(c)
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .moderate(ModerateRequest.getDefaultInstance());
          case "files" ->
              c ->
                  FilesServiceGrpc.newBlockingStub(c)
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .deleteFile(
                          DeleteFileRequest.newBuilder()
                              .setCaller(Caller.newBuilder().setOrganization("org-x"))
                              .setFileId("file-abc")
                              .build());
          default ->
              c ->
                  UsageServiceGrpc.newBlockingStub(c)
                      .withDeadlineAfter(10, TimeUnit.SECONDS)
                      .settle(
                          SettleRequest.newBuilder()
                              .setRequestId("forged")
                              .setOrganization("org-default")
                              .setActual(TokenUsage.newBuilder().setCompletionTokens(2_000_000))
                              .build());
        };

    assertThatThrownBy(() -> forbidden.accept(operator))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
  }

  private static void assertRefusedAtHandshake(Target target, ManagedChannel channel) {
    assertThatThrownBy(() -> target.refusedCall().accept(channel))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
    assertThatThrownBy(() -> target.allowedCall().accept(channel))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  private static void assertRefused(
      Target target, ManagedChannel channel, Status.Code code, String reason) {
    assertThatThrownBy(() -> target.refusedCall().accept(channel))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              var error = GrpcErrors.parse(e);
              assertThat(error.code()).isEqualTo(code);
              assertThat(error.reason()).isEqualTo(reason);
              assertThat(error.metadata()).containsKey(GrpcErrors.TYPE);
              assertThat(error.message())
                  .doesNotContain("gateway")
                  .doesNotContain("operator")
                  .doesNotContain(target.refusedIdentity());
            });
  }

  private ManagedChannel channel(Target target, ChannelCredentials credentials) {
    var channel = NettyChannelBuilder.forTarget("127.0.0.1:" + target.port(), credentials).build();
    channels.add(channel);
    return channel;
  }

  private ManagedChannel platformChannel(Target target, String identity) {
    var channel =
        Channels.open(
            "127.0.0.1:" + target.port(), 64 << 20, STACK.identity(identity), target.service());
    channels.add(channel);
    return channel;
  }
}
