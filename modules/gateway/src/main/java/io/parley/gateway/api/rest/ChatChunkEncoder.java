package io.parley.gateway.api.rest;

import io.parley.gateway.api.rest.dto.ChatLogprobs;
import io.parley.gateway.api.rest.dto.ErrorEnvelope;
import io.parley.gateway.api.rest.dto.Usage;
import java.io.IOException;
import java.io.OutputStream;

/**
 * Encodes {@code chat.completion.chunk} events. The fields shared by every chunk of a stream (id,
 * created, model, …) are encoded once; each event is that prefix, one choice, and a fixed suffix.
 */
final class ChatChunkEncoder {

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
  ChatChunkEncoder(
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
        SseWriter.template(
            json -> {
              header(json);
              json.writeArrayFieldStart("choices");
              json.writeEndArray();
              if (includeUsage) {
                json.writeNullField("usage");
              }
            });
    this.prefix = template[0];
    this.suffix = template[1];
  }

  private void header(com.fasterxml.jackson.core.JsonGenerator json) throws IOException {
    json.writeStringField("id", id);
    json.writeStringField("object", "chat.completion.chunk");
    json.writeNumberField("created", created);
    json.writeStringField("model", model);
    json.writeNullField("system_fingerprint");
  }

  /** The first chunk of a choice: {@code "delta":{"role":"assistant","content":""}}. */
  void role(int index) throws IOException {
    var json = sse.begin(prefix);
    json.writeStartObject();
    json.writeNumberField("index", index);
    json.writeObjectFieldStart("delta");
    json.writeStringField("role", "assistant");
    json.writeStringField("content", "");
    json.writeEndObject();
    json.writeNullField("logprobs");
    json.writeNullField("finish_reason");
    json.writeEndObject();
    sse.raw(suffix);
    sse.end();
  }

  /** New content of a choice, with its log probabilities when asked for ({@code null} if not). */
  void content(int index, String text, ChatLogprobs logprobs) throws IOException {
    var json = sse.begin(prefix);
    json.writeStartObject();
    json.writeNumberField("index", index);
    json.writeObjectFieldStart("delta");
    json.writeStringField("content", text);
    json.writeEndObject();
    json.writeFieldName("logprobs");
    if (logprobs == null) {
      json.writeNull();
    } else {
      Json.WRITER.writeValue(json, logprobs);
    }
    json.writeNullField("finish_reason");
    json.writeEndObject();
    sse.raw(suffix);
    sse.end();
  }

  /** The last chunk of a choice: {@code "delta":{}} and the finish reason. */
  void finish(int index, String finishReason) throws IOException {
    var json = sse.begin(prefix);
    json.writeStartObject();
    json.writeNumberField("index", index);
    json.writeObjectFieldStart("delta");
    json.writeEndObject();
    json.writeNullField("logprobs");
    json.writeStringField("finish_reason", finishReason);
    json.writeEndObject();
    sse.raw(suffix);
    sse.end();
  }

  /** The usage chunk ({@code "choices":[]}) sent last with {@code include_usage}. */
  void usage(Usage usage) throws IOException {
    var json = sse.begin(new byte[0]);
    json.writeStartObject();
    header(json);
    json.writeArrayFieldStart("choices");
    json.writeEndArray();
    json.writeFieldName("usage");
    Json.WRITER.writeValue(json, usage);
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
