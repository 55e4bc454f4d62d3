package io.parley.gateway.api.rest;

import io.parley.safety.v1.ModerateResponse;
import io.parley.safety.v1.ModerationResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The answer of {@code POST /v1/moderations}, as OpenAI shapes it: {@code
 * {"id":"modr-…","model":"…","results":[{"flagged","categories":{…},"category_scores":{…}}]}}. Both
 * maps hold the same keys, every category the service returned (a category missing from one map
 * reads {@code false} / {@code 0.0}), in OpenAI's order, then any other category by name.
 */
final class ModerationsOutput {

  /** OpenAI's order of the categories in its responses. */
  static final List<String> OPENAI_ORDER =
      List.of(
          "sexual",
          "sexual/minors",
          "harassment",
          "harassment/threatening",
          "hate",
          "hate/threatening",
          "illicit",
          "illicit/violent",
          "self-harm",
          "self-harm/intent",
          "self-harm/instructions",
          "violence",
          "violence/graphic");

  private static final Comparator<String> ORDER =
      Comparator.<String>comparingInt(
              key -> {
                int known = OPENAI_ORDER.indexOf(key);
                return known < 0 ? OPENAI_ORDER.size() : known;
              })
          .thenComparing(Comparator.naturalOrder());

  private ModerationsOutput() {}

  /**
   * @param id the response id ({@code modr-…})
   * @param requestedModel the model the request named; empty for the service's default
   * @param response the service's answer
   */
  static byte[] json(String id, String requestedModel, ModerateResponse response) {
    var bytes = new ByteArrayOutputStream(512 + 640 * response.getResultsCount());
    try (var json = Json.FACTORY.createGenerator(bytes)) {
      json.writeStartObject();
      json.writeStringField("id", id);
      json.writeStringField(
          "model", response.getModel().isEmpty() ? requestedModel : response.getModel());
      json.writeArrayFieldStart("results");
      for (var result : response.getResultsList()) {
        var keys = keys(result);
        json.writeStartObject();
        json.writeBooleanField("flagged", result.getFlagged());
        json.writeObjectFieldStart("categories");
        for (var key : keys) {
          json.writeBooleanField(key, result.getCategoriesOrDefault(key, false));
        }
        json.writeEndObject();
        json.writeObjectFieldStart("category_scores");
        for (var key : keys) {
          json.writeNumberField(key, result.getCategoryScoresOrDefault(key, 0.0));
        }
        json.writeEndObject();
        // Parley moderates text only, so every category applies to the text input.
        json.writeObjectFieldStart("category_applied_input_types");
        for (var key : keys) {
          json.writeArrayFieldStart(key);
          json.writeString("text");
          json.writeEndArray();
        }
        json.writeEndObject();
        json.writeEndObject();
      }
      json.writeEndArray();
      json.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static List<String> keys(ModerationResult result) {
    var keys = new LinkedHashSet<String>(result.getCategoriesMap().keySet());
    keys.addAll(result.getCategoryScoresMap().keySet());
    var sorted = new ArrayList<>(keys);
    sorted.sort(ORDER);
    return sorted;
  }
}
