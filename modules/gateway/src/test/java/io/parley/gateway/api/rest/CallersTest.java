package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.gateway.domain.AuthenticationException;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.Role;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A resource serves the caller the request filter authenticated, and nobody else. */
class CallersTest {

  /** A request holding only its attributes. */
  private static HttpServletRequest request(Map<String, Object> attributes) {
    return (HttpServletRequest)
        Proxy.newProxyInstance(
            CallersTest.class.getClassLoader(),
            new Class<?>[] {HttpServletRequest.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getAttribute" -> attributes.get((String) args[0]);
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }

  @Test
  void authenticatedRequest_isServedAsItsCaller() {
    var caller = new Caller("org-a", "user-1", Role.READER, "key-1", false);
    var attributes = new HashMap<String, Object>();
    attributes.put(Callers.PROPERTY, caller);

    assertThat(Callers.of(request(attributes))).isSameAs(caller);
  }

  @Test
  void requestWithoutACaller_is401AsWithoutAKey_neverAnInventedCaller() {
    assertThatThrownBy(() -> Callers.of(request(Map.of())))
        .isInstanceOfSatisfying(
            AuthenticationException.class,
            e -> {
              var reply = ErrorMapper.reply(e, "POST", "/v1/chat/completions", 1, "req_1");
              assertThat(reply.status()).isEqualTo(401);
              assertThat(new String(reply.body(), StandardCharsets.UTF_8))
                  .startsWith("{\"error\":{\"message\":\"You didn't provide an API key.")
                  .contains("\"type\":\"invalid_request_error\"");
            });
  }
}
