package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.gateway.domain.GatewayException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Reading request bodies: JSON only, size limit, syntax errors. */
class RequestBodiesTest {

  private static ByteArrayInputStream in(String text) {
    return new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void jsonObject_isRead() {
    var body = RequestBodies.read("application/json; charset=utf-8", 7, in("{\"a\":1}"), 100);

    assertThat(body.get("a").asInt()).isEqualTo(1);
  }

  @Test
  void malformedJson_is400WithOpenAisHint() {
    assertThatThrownBy(() -> RequestBodies.read(null, -1, in("{\"a\":"), 100))
        .isInstanceOfSatisfying(
            GatewayException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.getMessage())
                  .startsWith("We could not parse the JSON body of your request.");
            });
  }

  @Test
  void emptyBody_isMalformed() {
    assertThatThrownBy(() -> RequestBodies.read(null, 0, in(""), 100))
        .hasMessage(RequestBodies.MALFORMED);
  }

  @Test
  void nonObject_is400InvalidType() {
    assertThatThrownBy(() -> RequestBodies.read(null, -1, in("[1]"), 100))
        .hasMessage("Invalid type for request body: expected an object, but got an array instead.");
  }

  @Test
  void declaredLengthOverTheLimit_is413BeforeReading() {
    assertThatThrownBy(() -> RequestBodies.read(null, 101, in("{}"), 100))
        .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.status()).isEqualTo(413));
  }

  @Test
  void bodyOverTheLimitWithoutLength_is413WhileReading() {
    var big = "{\"a\":\"" + "x".repeat(200) + "\"}";

    assertThatThrownBy(() -> RequestBodies.read(null, -1, in(big), 100))
        .isInstanceOfSatisfying(
            GatewayException.class,
            e -> {
              assertThat(e.status()).isEqualTo(413);
              assertThat(e.getMessage())
                  .isEqualTo("The request body is too large: the limit is 100 bytes.");
            });
  }

  @Test
  void nonJsonContentType_is415() {
    assertThatThrownBy(() -> RequestBodies.read("text/plain", 2, in("{}"), 100))
        .isInstanceOfSatisfying(
            GatewayException.class,
            e -> {
              assertThat(e.status()).isEqualTo(415);
              assertThat(e.getMessage())
                  .isEqualTo(
                      "Invalid Content-Type header (text/plain), expected application/json.");
            });
  }

  @Test
  void duplicateKeys_areMalformed() {
    assertThatThrownBy(() -> RequestBodies.read(null, -1, in("{\"a\":1,\"a\":2}"), 100))
        .hasMessage(RequestBodies.MALFORMED);
  }

  @Test
  void clientHangingUpMidBody_isClientClosedRequest_evenWhenClosingRethrows() {
    var failure = new java.io.EOFException("Connection closed: Read failed.");
    var hungUp =
        new java.io.InputStream() {
          @Override
          public int read() throws java.io.IOException {
            throw failure;
          }

          @Override
          public void close() throws java.io.IOException {
            throw failure;
          }
        };

    assertThatThrownBy(() -> RequestBodies.read("application/json", 4000, hungUp, 8192))
        .isInstanceOfSatisfying(
            io.parley.gateway.domain.ClientClosedRequestException.class,
            e -> assertThat(e.status()).isEqualTo(400));
  }

  @Test
  void bodyShorterThanItsContentLength_isClientClosedRequest() {
    assertThatThrownBy(() -> RequestBodies.read("application/json", 4000, in("{\"model\":"), 8192))
        .isInstanceOf(io.parley.gateway.domain.ClientClosedRequestException.class);
  }

  @Test
  void longContentType_isNotRepeatedWhole() {
    var type = "text/" + "x".repeat(10_000);

    assertThatThrownBy(() -> RequestBodies.read(type, 2, in("{}"), 100))
        .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(200));
  }
}
