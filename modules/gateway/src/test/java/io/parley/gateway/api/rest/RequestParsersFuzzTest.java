package io.parley.gateway.api.rest;

import com.code_intelligence.jazzer.junit.DictionaryFile;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.gateway.domain.GatewayException;
import java.io.ByteArrayInputStream;
import java.util.function.Consumer;

/**
 * Fuzzes the request parsers with Jazzer. Property: for any body, parsing either succeeds or fails
 * with a {@link GatewayException} whose status is a 4xx and whose envelope stays short (no input
 * repeated at length); any other exception is a finding.
 *
 * <p>Plain {@code mvn verify} runs each test in regression mode: the empty input and every file
 * under {@code RequestParsersFuzzTestInputs/<method>/} in the test resources (seeds, and the inputs
 * of crashes found and fixed). Fuzzing mode, one parser at a time ({@code
 * docs/api-conformance.md}): {@code JAZZER_FUZZ=1 ./mvnw -pl modules/gateway -am test
 * -Dtest=RequestParsersFuzzTest#chatCompletions -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class RequestParsersFuzzTest {

  /** The production body limit. */
  private static final long BODY_LIMIT = 4 * 1024 * 1024;

  /** Longest error envelope a parser may produce (its message repeats at most a prefix). */
  private static final int MAX_ENVELOPE_BYTES = 2048;

  private static final String DICTIONARY = "/io/parley/gateway/api/rest/request-parsers.dict";

  @FuzzTest(maxDuration = "30m", maxExecutions = 1_000_000)
  @DictionaryFile(resourcePath = DICTIONARY)
  void chatCompletions(byte[] body) {
    check(body, json -> ChatCompletionRequests.parse(json, "req_fuzz"));
  }

  @FuzzTest(maxDuration = "30m", maxExecutions = 1_000_000)
  @DictionaryFile(resourcePath = DICTIONARY)
  void completions(byte[] body) {
    check(body, json -> CompletionRequests.parse(json, "req_fuzz"));
  }

  @FuzzTest(maxDuration = "30m", maxExecutions = 1_000_000)
  @DictionaryFile(resourcePath = DICTIONARY)
  void embeddings(byte[] body) {
    check(body, json -> EmbeddingRequests.parse(json, "req_fuzz"));
  }

  @FuzzTest(maxDuration = "30m", maxExecutions = 1_000_000)
  @DictionaryFile(resourcePath = DICTIONARY)
  void moderations(byte[] body) {
    check(body, json -> ModerationRequests.parse(json, "req_fuzz"));
  }

  private static void check(byte[] body, Consumer<ObjectNode> parser) {
    try {
      parser.accept(
          RequestBodies.read(
              "application/json", body.length, new ByteArrayInputStream(body), BODY_LIMIT));
    } catch (GatewayException e) {
      if (e.status() < 400 || e.status() > 499) {
        throw new AssertionError("status " + e.status() + ": " + e.getMessage(), e);
      }
      int envelope = Json.bytes(Errors.envelope(e, "req_fuzz")).length;
      if (envelope > MAX_ENVELOPE_BYTES) {
        throw new AssertionError("error envelope of " + envelope + " bytes: " + e.getMessage());
      }
    }
  }
}
