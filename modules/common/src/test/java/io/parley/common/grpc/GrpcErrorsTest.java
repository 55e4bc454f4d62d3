package io.parley.common.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.parley.inference.v1.GetModelRequest;
import io.parley.inference.v1.GetModelResponse;
import io.parley.inference.v1.InferenceServiceGrpc;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GrpcErrorsTest {

  @Test
  void errorInfo_survivesARealCall_reasonMessageAndParamReadBack() throws Exception {
    var name = InProcessServerBuilder.generateName();
    var server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                new InferenceServiceGrpc.InferenceServiceImplBase() {
                  @Override
                  public void getModel(
                      GetModelRequest request, StreamObserver<GetModelResponse> observer) {
                    observer.onError(
                        GrpcErrors.toException(
                            Status.Code.NOT_FOUND,
                            "model_not_found",
                            "The model 'x' does not exist",
                            Map.of(GrpcErrors.PARAM, "model")));
                  }
                })
            .build()
            .start();
    var channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    try {
      var stub = InferenceServiceGrpc.newBlockingStub(channel);
      StatusRuntimeException failure = null;
      try {
        stub.getModel(GetModelRequest.newBuilder().setModel("x").build());
      } catch (StatusRuntimeException e) {
        failure = e;
      }
      assertThat(failure).isNotNull();
      var error = GrpcErrors.parse(failure);
      assertThat(error.code()).isEqualTo(Status.Code.NOT_FOUND);
      assertThat(error.reason()).isEqualTo("model_not_found");
      assertThat(error.message()).isEqualTo("The model 'x' does not exist");
      assertThat(error.param()).contains("model");
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }

  @Test
  void plainStatus_withoutErrorInfo_hasEmptyReason() {
    var error = GrpcErrors.parse(Status.UNAVAILABLE.withDescription("down").asRuntimeException());
    assertThat(error.code()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(error.reason()).isEmpty();
    assertThat(error.message()).isEqualTo("down");
  }

  @Test
  void longMessageEchoingInput_staysUnderTheTrailerLimit_overRealNetty() throws Exception {
    var echoed = "The model '" + "é".repeat(100_000) + "' does not exist";
    var server =
        io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forAddress(
                new java.net.InetSocketAddress("127.0.0.1", 0))
            .addService(
                new InferenceServiceGrpc.InferenceServiceImplBase() {
                  @Override
                  public void getModel(
                      GetModelRequest request, StreamObserver<GetModelResponse> observer) {
                    observer.onError(
                        GrpcErrors.toException(
                            Status.Code.NOT_FOUND,
                            "model_not_found",
                            echoed,
                            Map.of(GrpcErrors.PARAM, "p".repeat(100_000))));
                  }
                })
            .build()
            .start();
    var channel =
        io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress(
                "127.0.0.1", server.getPort())
            .usePlaintext()
            .build();
    try {
      StatusRuntimeException failure = null;
      try {
        InferenceServiceGrpc.newBlockingStub(channel)
            .getModel(GetModelRequest.newBuilder().setModel("x").build());
      } catch (StatusRuntimeException e) {
        failure = e;
      }
      var error = GrpcErrors.parse(failure);
      assertThat(error.code()).isEqualTo(Status.Code.NOT_FOUND);
      assertThat(error.reason()).isEqualTo("model_not_found");
      assertThat(error.message()).hasSize(GrpcErrors.MAX_MESSAGE_CHARS).endsWith("…");
    } finally {
      channel.shutdownNow();
      server.shutdownNow();
    }
  }
}
