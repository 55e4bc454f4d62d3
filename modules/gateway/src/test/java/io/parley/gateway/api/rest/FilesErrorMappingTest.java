package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.parley.common.grpc.RemoteError;
import io.parley.gateway.infrastructure.FilesClient;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What the files service's failures become at the gateway. */
class FilesErrorMappingTest {

  @ParameterizedTest
  @CsvSource({
    "NOT_FOUND, not_found, 404, invalid_request_error",
    "INVALID_ARGUMENT, invalid_file, 400, invalid_request_error",
    "FAILED_PRECONDITION, file_in_use, 409, invalid_request_error",
    "OUT_OF_RANGE, file_too_large, 413, invalid_request_error",
    "RESOURCE_EXHAUSTED, insufficient_quota, 429, insufficient_quota",
    "UNAVAILABLE, '', 503, server_error"
  })
  void statuses_becomeTheirHttpAnswers(String code, String reason, int status, String type) {
    var error =
        FilesClient.toGatewayException(
            new RemoteError(Status.Code.valueOf(code), reason, "message", Map.of("param", "file")),
            1);
    assertThat(error.status()).isEqualTo(status);
    assertThat(error.type()).isEqualTo(type);
  }
}
