package io.parley.safety.api.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.parley.common.grpc.GrpcErrors;
import io.parley.safety.application.ModerateUseCase;
import io.parley.safety.application.PolicyService;
import io.parley.safety.infrastructure.MemoryPolicyRepository;
import io.parley.safety.infrastructure.TestClassifier;
import io.parley.safety.v1.GetPolicyRequest;
import io.parley.safety.v1.ModerateRequest;
import io.parley.safety.v1.Policy;
import io.parley.safety.v1.SafetyServiceGrpc;
import io.parley.safety.v1.SetPolicyRequest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SafetyGrpcServiceTest {

  private static final String[] CATEGORIES = {
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic"
  };

  private Server server;
  private ManagedChannel channel;
  private SafetyServiceGrpc.SafetyServiceBlockingStub stub;

  @BeforeEach
  void start() throws Exception {
    var name = InProcessServerBuilder.generateName();
    var moderate = new ModerateUseCase(TestClassifier.model(), TestClassifier.encoder(), 4, 1000);
    var policies =
        new PolicyService(
            new MemoryPolicyRepository(), new io.parley.safety.domain.Policy(true, false));
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(new SafetyGrpcService(moderate, policies))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    stub = SafetyServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    channel.shutdownNow();
    server.shutdownNow();
  }

  @Test
  void moderate_returnsOneResultPerInputWithEveryCategory() {
    var response =
        stub.moderate(
            ModerateRequest.newBuilder()
                .addInputs("You are a worthless idiot and everyone hates you.")
                .addInputs("Could you recommend a good recipe for banana bread?")
                .setRequestId("req-1")
                .build());
    assertThat(response.getModel()).isEqualTo("parley-moderation-v1");
    assertThat(response.getResultsCount()).isEqualTo(2);
    for (var result : response.getResultsList()) {
      assertThat(result.getCategoriesMap()).containsOnlyKeys(CATEGORIES);
      assertThat(result.getCategoryScoresMap()).containsOnlyKeys(CATEGORIES);
      assertThat(result.getCategoryScoresMap().values())
          .allSatisfy(s -> assertThat(s).isBetween(0.0, 1.0));
      assertThat(result.getFlagged()).isEqualTo(result.getCategoriesMap().containsValue(true));
    }
    assertThat(response.getResults(0).getFlagged()).isTrue();
    assertThat(response.getResults(0).getCategoriesOrThrow("harassment")).isTrue();
    assertThat(response.getResults(1).getFlagged()).isFalse();
  }

  @Test
  void moderate_invalidInputs_areInvalidArgumentOnInput() {
    var requests =
        new ModerateRequest[] {
          ModerateRequest.getDefaultInstance(),
          ModerateRequest.newBuilder().addInputs("").build(),
          ModerateRequest.newBuilder()
              .addInputs("a")
              .addInputs("b")
              .addInputs("c")
              .addInputs("d")
              .addInputs("e")
              .build(),
          ModerateRequest.newBuilder().addInputs("x".repeat(1001)).build()
        };
    for (var request : requests) {
      assertThatThrownBy(() -> stub.moderate(request))
          .satisfies(
              e -> {
                var error = GrpcErrors.parse(e);
                assertThat(error.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                assertThat(error.reason()).isEqualTo("invalid_value");
                assertThat(error.metadata()).containsEntry(GrpcErrors.PARAM, "input");
              });
    }
  }

  @Test
  void moderate_unknownModel_isNotFoundOnModel() {
    assertThatThrownBy(
            () ->
                stub.moderate(
                    ModerateRequest.newBuilder().setModel("nope").addInputs("hi").build()))
        .satisfies(
            e -> {
              var error = GrpcErrors.parse(e);
              assertThat(error.code()).isEqualTo(Status.Code.NOT_FOUND);
              assertThat(error.reason()).isEqualTo("model_not_found");
              assertThat(error.metadata()).containsEntry(GrpcErrors.PARAM, "model");
            });
  }

  @Test
  void policy_defaultUntilSet_thenTheOneSet() {
    var org = GetPolicyRequest.newBuilder().setOrganization("org-1").build();
    assertThat(stub.getPolicy(org).getPolicy())
        .isEqualTo(Policy.newBuilder().setScreenInput(true).build());
    var wanted = Policy.newBuilder().setScreenInput(false).setScreenOutput(true).build();
    var set =
        stub.setPolicy(
            SetPolicyRequest.newBuilder().setOrganization("org-1").setPolicy(wanted).build());
    assertThat(set.getPolicy()).isEqualTo(wanted);
    assertThat(stub.getPolicy(org).getPolicy()).isEqualTo(wanted);
    assertThat(
            stub.getPolicy(GetPolicyRequest.newBuilder().setOrganization("org-2").build())
                .getPolicy())
        .isEqualTo(Policy.newBuilder().setScreenInput(true).build());
  }

  @Test
  void policy_withoutOrganization_isInvalidArgumentOnOrganization() {
    assertThatThrownBy(() -> stub.getPolicy(GetPolicyRequest.getDefaultInstance()))
        .satisfies(
            e -> {
              var error = GrpcErrors.parse(e);
              assertThat(error.code()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(error.metadata()).containsEntry(GrpcErrors.PARAM, "organization");
            });
  }
}
