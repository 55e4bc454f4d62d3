package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.gateway.domain.GatewayException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.Test;

/** Streaming multipart parsing: parts in order, limits before and while reading, broken bodies. */
class MultipartBodiesTest {

  static final String TYPE = "multipart/form-data; boundary=XyZ";

  static byte[] body(String... parts) {
    var text = new StringBuilder();
    for (int i = 0; i < parts.length; i += 2) {
      text.append("--XyZ\r\nContent-Disposition: form-data; name=\"")
          .append(parts[i])
          .append('"')
          .append(parts[i].equals("file") ? "; filename=\"a.jsonl\"" : "")
          .append("\r\n\r\n")
          .append(parts[i + 1])
          .append("\r\n");
    }
    return text.append("--XyZ--\r\n").toString().getBytes(StandardCharsets.UTF_8);
  }

  static LinkedHashMap<String, String> parse(byte[] body, long contentLength, long max) {
    var seen = new LinkedHashMap<String, String>();
    MultipartBodies.read(
        TYPE,
        contentLength,
        new ByteArrayInputStream(body),
        max,
        part -> seen.put(part.getFieldName(), MultipartBodies.field(part, 1 << 20)));
    return seen;
  }

  @Test
  void parts_arriveInTheirOrder_fileBeforePurpose() {
    var body = body("file", "{\"a\":1}", "purpose", "fine-tune");
    assertThat(parse(body, body.length, 1000))
        .containsExactly(
            java.util.Map.entry("file", "{\"a\":1}"), java.util.Map.entry("purpose", "fine-tune"));
  }

  @Test
  void contentLengthPastTheLimit_is413_withoutReadingTheBody() {
    var read = new ArrayList<Integer>();
    InputStream body =
        new InputStream() {
          @Override
          public int read() {
            read.add(1);
            return -1;
          }
        };
    assertThatThrownBy(() -> MultipartBodies.read(TYPE, 10_000_000, body, 1000, part -> {}))
        .isInstanceOfSatisfying(
            GatewayException.class,
            e -> {
              assertThat(e.status()).isEqualTo(413);
              assertThat(e.code()).contains("file_too_large");
            });
    assertThat(read).isEmpty();
  }

  @Test
  void fileLongerThanTheLimit_withoutContentLength_is413_whileReading() {
    var body = body("purpose", "batch", "file", "x".repeat(5000));
    assertThatThrownBy(
            () ->
                MultipartBodies.read(
                    TYPE,
                    -1,
                    new ByteArrayInputStream(body),
                    1000,
                    part ->
                        part.getInputStream().transferTo(java.io.OutputStream.nullOutputStream())))
        .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.status()).isEqualTo(413));
  }

  @Test
  void truncatedBody_is400() {
    var body = body("purpose", "batch", "file", "x".repeat(500));
    var cut = java.util.Arrays.copyOf(body, body.length - 30);
    assertThatThrownBy(
            () ->
                MultipartBodies.read(
                    TYPE,
                    -1,
                    new ByteArrayInputStream(cut),
                    1000,
                    part ->
                        part.getInputStream().transferTo(java.io.OutputStream.nullOutputStream())))
        .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.status()).isEqualTo(400));
  }

  @Test
  void notMultipart_is400() {
    assertThatThrownBy(
            () ->
                MultipartBodies.read(
                    "application/json", 2, new ByteArrayInputStream(new byte[2]), 1000, p -> {}))
        .isInstanceOfSatisfying(
            GatewayException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.code()).contains("invalid_content_type");
            });
  }

  @Test
  void overlongField_is400_namingIt() throws IOException {
    var body = body("purpose", "p".repeat(100));
    assertThatThrownBy(
            () ->
                MultipartBodies.read(
                    TYPE,
                    body.length,
                    new ByteArrayInputStream(body),
                    1000,
                    part -> MultipartBodies.field(part, 64)))
        .isInstanceOfSatisfying(
            GatewayException.class, e -> assertThat(e.param()).contains("purpose"));
  }

  static GatewayException refusal(String type, byte[] body) {
    var thrown = new GatewayException[1];
    assertThatThrownBy(
            () ->
                MultipartBodies.read(
                    type,
                    body.length,
                    new ByteArrayInputStream(body),
                    1 << 20,
                    part ->
                        part.getInputStream().transferTo(java.io.OutputStream.nullOutputStream())))
        .isInstanceOfSatisfying(GatewayException.class, e -> thrown[0] = e);
    return thrown[0];
  }

  @Test
  void hostileBodies_are400_notTooLarge() {
    // A 100 KB file name: the part's headers pass FileUpload's header limit.
    var longName =
        ("--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\""
                + "a".repeat(100_000)
                + "\"\r\n\r\nx\r\n--XyZ--\r\n")
            .getBytes(StandardCharsets.UTF_8);
    var e = refusal(TYPE, longName);
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.code()).contains("invalid_multipart");
    // Seventeen tiny parts: too many parts, not a file too large.
    var parts = new String[34];
    for (int i = 0; i < parts.length; i += 2) {
      parts[i] = "f" + i;
      parts[i + 1] = "x";
    }
    e = refusal(TYPE, body(parts));
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.code()).contains("too_many_parts");
    // No boundary in the Content-Type.
    e = refusal("multipart/form-data", body("purpose", "batch"));
    assertThat(e.status()).isEqualTo(400);
    // A part that never ends.
    e =
        refusal(
            TYPE,
            "--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc"
                .getBytes(StandardCharsets.UTF_8));
    assertThat(e.status()).isEqualTo(400);
  }

  @Test
  void nonUtf8AndControlCharactersInAFileName_areReadAsText() {
    var name = new java.io.ByteArrayOutputStream();
    name.writeBytes(
        "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a"
            .getBytes(StandardCharsets.US_ASCII));
    name.writeBytes(new byte[] {(byte) 0xff, (byte) 0xc3, 0x01, 'b'});
    name.writeBytes("\"\r\n\r\nx\r\n--XyZ--\r\n".getBytes(StandardCharsets.US_ASCII));
    var body = name.toByteArray();
    var names = new ArrayList<String>();
    MultipartBodies.read(
        TYPE,
        body.length,
        new ByteArrayInputStream(body),
        1000,
        part -> {
          names.add(part.getName());
          MultipartBodies.skip(part);
        });
    // Invalid UTF-8 becomes U+FFFD; the control character reaches the files service, which
    // refuses it (FilesGrpcServiceTest).
    assertThat(names).containsExactly("a\ufffd\ufffd\u0001b");
  }
}
