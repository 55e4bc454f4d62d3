package io.parley.gateway.api.rest;

import com.fasterxml.jackson.core.JsonGenerator;
import io.parley.gateway.api.rest.dto.ErrorEnvelope;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

/**
 * Writes server-sent events ({@code data: <json>\n\n}) to a response stream. Each event is built in
 * a reused buffer by one reused JSON generator and written with one call, so a token costs one
 * small write and no reflection. An event is flushed at once unless more are already waiting to be
 * written: under load several events share one flush, and an idle stream is never held back.
 */
final class SseWriter {

  private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] END = "\n\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

  private final OutputStream out;
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(1024);
  private final JsonGenerator json;
  private final BooleanSupplier morePending;

  SseWriter(OutputStream out) {
    this(out, () -> false);
  }

  /**
   * @param morePending whether another event is already waiting to be written (then the flush is
   *     left to that one)
   */
  SseWriter(OutputStream out, BooleanSupplier morePending) {
    this.out = out;
    this.morePending = morePending;
    try {
      this.json = Json.FACTORY.createGenerator(buffer);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    json.setRootValueSeparator(null);
    json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
  }

  /** Starts an event: {@code data: } and the given raw bytes. */
  JsonGenerator begin(byte[] raw) {
    buffer.reset();
    buffer.writeBytes(DATA);
    buffer.writeBytes(raw);
    return json;
  }

  /** Appends raw bytes to the event (after what the generator wrote). */
  void raw(byte[] bytes) throws IOException {
    json.flush();
    buffer.writeBytes(bytes);
  }

  /** Ends the event and sends it. */
  void end() throws IOException {
    json.flush();
    buffer.writeBytes(END);
    buffer.writeTo(out);
    if (!morePending.getAsBoolean()) {
      out.flush();
    }
  }

  /** Sends {@code data: [DONE]}. */
  void done() throws IOException {
    out.write(DONE);
    out.flush();
  }

  /** Sends an error event: {@code data: {"error":{...}}}. */
  void error(ErrorEnvelope envelope) throws IOException {
    Json.WRITER.writeValue(begin(new byte[0]), envelope);
    end();
  }

  /** Writes a chunk's fields up to {@code "choices":[} and returns its bytes. */
  static byte[][] template(TemplateBody body) {
    var bytes = new ByteArrayOutputStream(256);
    try (var json = Json.FACTORY.createGenerator(bytes)) {
      json.writeStartObject();
      body.write(json);
      json.writeEndObject();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    var whole = bytes.toByteArray();
    var marker = "\"choices\":[".getBytes(StandardCharsets.US_ASCII);
    int at = indexOf(whole, marker) + marker.length;
    return new byte[][] {
      java.util.Arrays.copyOfRange(whole, 0, at),
      java.util.Arrays.copyOfRange(whole, at, whole.length)
    };
  }

  /** Writes the fields of a chunk template ({@code choices} must be written as an empty array). */
  @FunctionalInterface
  interface TemplateBody {
    void write(JsonGenerator json) throws IOException;
  }

  private static int indexOf(byte[] data, byte[] marker) {
    outer:
    for (int i = 0; i <= data.length - marker.length; i++) {
      for (int j = 0; j < marker.length; j++) {
        if (data[i + j] != marker[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new IllegalStateException("no choices in the chunk template");
  }
}
