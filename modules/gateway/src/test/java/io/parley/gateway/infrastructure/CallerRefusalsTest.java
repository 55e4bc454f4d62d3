package io.parley.gateway.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.parley.common.grpc.GrpcErrors;
import io.parley.common.grpc.RemoteError;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.ServerErrorException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A service refusing the gateway's own identity (mutual TLS) is a deployment fault: the API user
 * gets a 500 without detail, never a 401 or 403 that would blame their key.
 */
class CallerRefusalsTest {

  private static final List<RemoteError> REFUSALS =
      List.of(
          new RemoteError(
              Status.Code.UNAUTHENTICATED,
              GrpcErrors.CALLER_UNAUTHENTICATED,
              "A client certificate with a platform identity is required.",
              Map.of()),
          new RemoteError(
              Status.Code.PERMISSION_DENIED,
              GrpcErrors.CALLER_NOT_ALLOWED,
              "This caller is not allowed to call this method.",
              Map.of()));

  @Test
  void refusalsOfTheGateway_are500ServerErrors_fromEveryService() {
    for (var refusal : REFUSALS) {
      for (GatewayException error :
          List.of(
              UsageErrors.toGatewayException(refusal, "sk-abc", 1),
              RemoteErrors.toGatewayException(refusal, "m", 1),
              ServiceErrors.toGatewayException("safety", refusal, "m", 1))) {
        assertThat(error).as("%s", refusal).isInstanceOf(ServerErrorException.class);
        assertThat(error.status()).isEqualTo(500);
        assertThat(error.getMessage()).isEqualTo(ServerErrorException.MESSAGE);
      }
    }
  }

  @Test
  void usagesOwnPermissionDenied_staysA403() {
    var error =
        UsageErrors.toGatewayException(
            new RemoteError(Status.Code.PERMISSION_DENIED, "", "Owners only.", Map.of()), "", 1);

    assertThat(error.status()).isEqualTo(403);
  }
}
