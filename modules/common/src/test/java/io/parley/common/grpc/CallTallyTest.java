package io.parley.common.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import io.parley.safety.v1.SafetyServiceGrpc;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CallTallyTest {

  @Test
  void countsEveryCallPerMethod_andPassesItOn() {
    var tally = new CallTally();
    int[] started = {0};

    tally.interceptCall(
        call(SafetyServiceGrpc.getModerateMethod()), new Metadata(), handler(started));
    tally.interceptCall(
        call(SafetyServiceGrpc.getModerateMethod()), new Metadata(), handler(started));
    tally.interceptCall(
        call(SafetyServiceGrpc.getGetPolicyMethod()), new Metadata(), handler(started));

    assertThat(started[0]).isEqualTo(3);
    assertThat(tally.counts())
        .isEqualTo(
            Map.of(
                SafetyServiceGrpc.getModerateMethod().getFullMethodName(), 2L,
                SafetyServiceGrpc.getGetPolicyMethod().getFullMethodName(), 1L));
    tally.close();
  }

  @Test
  void countsNothing_beforeTheFirstCall() {
    try (var tally = new CallTally()) {
      assertThat(tally.counts()).isEmpty();
    }
  }

  private static <Q, R> io.grpc.ServerCallHandler<Q, R> handler(int[] started) {
    return (call, headers) -> {
      started[0]++;
      return new ServerCall.Listener<>() {};
    };
  }

  private static <Q, R> ServerCall<Q, R> call(MethodDescriptor<Q, R> method) {
    return new ServerCall<>() {
      @Override
      public void request(int numMessages) {}

      @Override
      public void sendHeaders(Metadata headers) {}

      @Override
      public void sendMessage(R message) {}

      @Override
      public void close(Status status, Metadata trailers) {}

      @Override
      public boolean isCancelled() {
        return false;
      }

      @Override
      public MethodDescriptor<Q, R> getMethodDescriptor() {
        return method;
      }
    };
  }
}
