package io.parley.gateway.api.rest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The one Jackson configuration of the gateway (thread-safe, shared). */
final class Json {

  /** Reads request bodies, writes responses; OpenAI's snake_case names. */
  static final ObjectMapper MAPPER =
      JsonMapper.builder()
          .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .build();

  static final ObjectWriter WRITER = MAPPER.writer();

  static final JsonFactory FACTORY = MAPPER.getFactory();

  private Json() {}

  /** A value as JSON bytes. */
  static byte[] bytes(Object value) {
    try {
      return WRITER.writeValueAsBytes(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("cannot write " + value.getClass().getSimpleName(), e);
    }
  }
}
