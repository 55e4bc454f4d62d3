package io.parley.gateway.api.rest;

import io.parley.gateway.api.rest.dto.ErrorEnvelope;
import io.parley.gateway.api.rest.dto.TextLogprobs;
import io.parley.gateway.api.rest.dto.Usage;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Encodes legacy {@code text_completion} stream events (same layout as {@link ChatChunkEncoder}).
 */
final class TextChunkEncoder {

  private final SseWriter sse;
  private final String id;
  private final long created;
  private final String model;
  private final boolean includeUsage;
  private final byte[] prefix;
  private final byte[] suffix;

  /**
   * @param morePending whether another chunk is already waiting (its event will flush)
   */
  TextChunkEncoder(
      OutputStream out,
      String id,
      long created,
      String model,
      boolean includeUsage,
      java.util.function.BooleanSupplier morePending) {
    this.sse = new SseWriter(out, morePending);
    this.id = id;
    this.created = created;
    this.model = model;
    this.includeUsage = includeUsage;
    var template =
        SseWriter.template(json -> fields(json, includeUsage ? Usage.class : null, null));
    this.prefix = template[0];
    this.suffix = template[1];
  }

  private void fields(
      com.fasterxml.jackson.core.JsonGenerator json, Class<?> usageField, Usage usage)
      throws IOException {
    json.writeStringField("id", id);
    json.writeStringField("object", "text_completion");
    json.writeNumberField("created", created);
    json.writeArrayFieldStart("choices");
    json.writeEndArray();
    json.writeStringField("model", model);
    json.writeNullField("system_fingerprint");
    if (usage != null) {
      json.writeFieldName("usage");
      Json.WRITER.writeValue(json, usage);
    } else if (usageField != null) {
      json.writeNullField("usage");
    }
  }

  /**
   * A piece of one choice.
   *
   * @param finishReason set on the choice's last piece, else {@code null}
   * @param logprobs the piece's tokens when asked for, else {@code null}
   */
  void text(int index, String text, TextLogprobs logprobs, String finishReason) throws IOException {
    var json = sse.begin(prefix);
    json.writeStartObject();
    json.writeStringField("text", text);
    json.writeNumberField("index", index);
    json.writeFieldName("logprobs");
    if (logprobs == null) {
      json.writeNull();
    } else {
      Json.WRITER.writeValue(json, logprobs);
    }
    json.writeFieldName("finish_reason");
    if (finishReason == null) {
      json.writeNull();
    } else {
      json.writeString(finishReason);
    }
    json.writeEndObject();
    sse.raw(suffix);
    sse.end();
  }

  /** The usage chunk ({@code "choices":[]}) sent last with {@code include_usage}. */
  void usage(Usage usage) throws IOException {
    var json = sse.begin(new byte[0]);
    json.writeStartObject();
    fields(json, Usage.class, usage);
    json.writeEndObject();
    sse.end();
  }

  boolean includeUsage() {
    return includeUsage;
  }

  void done() throws IOException {
    sse.done();
  }

  void error(ErrorEnvelope error) throws IOException {
    sse.error(error);
  }
}
