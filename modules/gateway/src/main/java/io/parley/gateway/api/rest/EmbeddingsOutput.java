package io.parley.gateway.api.rest;

import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonGenerator;
import io.parley.embeddings.v1.EmbedResponse;
import io.parley.embeddings.v1.Embedding;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes the answer of {@code POST /v1/embeddings} straight to the response, as OpenAI shapes it:
 * {@code {"object":"list","data":[{"object":"embedding","index":0,"embedding":[…]}],"model":"…",
 * "usage":{"prompt_tokens":N,"total_tokens":N}}}. Each float is written from the primitive
 * (shortest decimal that reads back as the same float32); with {@code base64} each vector is its
 * little-endian float32 bytes in standard base64, as the OpenAI SDKs decode it.
 */
final class EmbeddingsOutput implements StreamingOutput {

  private final String model;
  private final EmbedResponse response;
  private final boolean base64;

  /**
   * @param model the model the request named
   * @param response the service's answer
   * @param base64 whether vectors are written as base64
   */
  EmbeddingsOutput(String model, EmbedResponse response, boolean base64) {
    this.model = model;
    this.response = response;
    this.base64 = base64;
  }

  @Override
  public void write(OutputStream out) throws IOException {
    try (var json = Json.FACTORY.createGenerator(out)) {
      json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
      json.writeStartObject();
      json.writeStringField("object", "list");
      json.writeArrayFieldStart("data");
      ByteBuffer buffer = null;
      for (var embedding : response.getEmbeddingsList()) {
        json.writeStartObject();
        json.writeStringField("object", "embedding");
        json.writeNumberField("index", embedding.getIndex());
        json.writeFieldName("embedding");
        if (base64) {
          int bytes = embedding.getValuesCount() * Float.BYTES;
          if (buffer == null || buffer.capacity() < bytes) {
            buffer = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
          }
          json.writeBinary(
              Base64Variants.MIME_NO_LINEFEEDS, littleEndian(embedding, buffer), 0, bytes);
        } else {
          json.writeStartArray();
          for (int i = 0, n = embedding.getValuesCount(); i < n; i++) {
            json.writeNumber(embedding.getValues(i));
          }
          json.writeEndArray();
        }
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeStringField("model", model);
      json.writeObjectFieldStart("usage");
      int prompt = response.getUsage().getPromptTokens();
      json.writeNumberField("prompt_tokens", prompt);
      json.writeNumberField("total_tokens", prompt);
      json.writeEndObject();
      json.writeEndObject();
    }
    out.flush();
  }

  private static byte[] littleEndian(Embedding embedding, ByteBuffer buffer) {
    buffer.clear();
    for (int i = 0, n = embedding.getValuesCount(); i < n; i++) {
      buffer.putFloat(embedding.getValues(i));
    }
    return buffer.array();
  }
}
