package io.parley.inference.domain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class InferenceExceptionsTest {

  @Test
  void contextLengthMessageMatchesOpenAi() {
    var e = new ContextLengthExceededException(4097, 4000, 200, "messages");
    assertEquals(
        "This model's maximum context length is 4097 tokens. However, you requested 4200 tokens (4000 in your"
            + " prompt; 200 for the completion). Please reduce your prompt; or completion length.",
        e.getMessage());
    assertEquals("context_length_exceeded", e.reason());
    assertEquals(Optional.of("messages"), e.param());
  }

  @Test
  void reasonsAndParams() {
    assertEquals(
        Optional.of("suffix"),
        new InvalidGenerationRequestException("suffix is not supported for this model", "suffix")
            .param());
    assertEquals("model_not_found", new ModelNotFoundException("x").reason());
    assertEquals(Optional.of("model"), new ModelNotFoundException("x").param());
    assertTrue(new EngineOverloadedException("busy").param().isEmpty());
    assertEquals("engine_failure", new EngineFailureException("boom").reason());
  }
}
