package io.parley.gateway.application;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.gateway.domain.AuthenticationException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ApiKeyAuthenticatorTest {

  private final ApiKeyAuthenticator authenticator =
      new ApiKeyAuthenticator(() -> "sk-parley-0123456789abcdefwxyz");

  @Test
  void rightBearerKey_passes() {
    assertThatCode(
            () -> authenticator.authenticate(Optional.of("Bearer sk-parley-0123456789abcdefwxyz")))
        .doesNotThrowAnyException();
    assertThatCode(
            () ->
                authenticator.authenticate(Optional.of("bearer  sk-parley-0123456789abcdefwxyz ")))
        .doesNotThrowAnyException();
  }

  @Test
  void wrongKey_isIncorrectWithTheKeyMasked() {
    assertThatThrownBy(
            () -> authenticator.authenticate(Optional.of("Bearer sk-parley-0123456789abcdefXXXX")))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageStartingWith("Incorrect API key provided: sk-pa*********************XXXX.");
  }

  @Test
  void missingOrNonBearer_isMissingKey() {
    for (var header : new String[] {null, "", "Bearer ", "Basic dXNlcjpwYXNz", "sk-parley-x"}) {
      assertThatThrownBy(() -> authenticator.authenticate(Optional.ofNullable(header)))
          .isInstanceOf(AuthenticationException.class)
          .hasMessageStartingWith("You didn't provide an API key.");
    }
  }
}
