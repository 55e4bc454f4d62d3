package io.parley.safety.application;

import io.parley.safety.domain.InvalidSafetyRequestException;
import io.parley.safety.domain.ModelNotFoundException;
import io.parley.safety.domain.ModerationModel;
import io.parley.safety.domain.ModerationResult;
import io.parley.safety.domain.SentenceEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Moderates texts: checks the request, encodes every input (long ones as several windows) and
 * classifies it with the model's heads.
 */
public final class ModerateUseCase {

  /** Model names OpenAI clients send; they are served by this service's model. */
  public static final Set<String> OPENAI_ALIASES =
      Set.of(
          "text-moderation-latest",
          "text-moderation-stable",
          "text-moderation-007",
          "omni-moderation-latest",
          "omni-moderation-2024-09-26");

  private final ModerationModel model;
  private final SentenceEncoder encoder;
  private final int maxInputs;
  private final int maxInputChars;

  /**
   * @param model the classifier
   * @param encoder the encoder its heads were trained on
   * @param maxInputs most inputs per request
   * @param maxInputChars most characters per input
   */
  public ModerateUseCase(
      ModerationModel model, SentenceEncoder encoder, int maxInputs, int maxInputChars) {
    if (!model.encoder().equals(encoder.id())) {
      throw new IllegalArgumentException(
          "The heads of "
              + model.id()
              + " were trained on "
              + model.encoder()
              + ", not "
              + encoder.id());
    }
    this.model = model;
    this.encoder = encoder;
    this.maxInputs = maxInputs;
    this.maxInputChars = maxInputChars;
  }

  /** Id of the model served. */
  public String modelId() {
    return model.id();
  }

  /**
   * Classifies the inputs.
   *
   * @param requestedModel model asked for; empty = the default
   * @param inputs texts to classify
   * @throws InvalidSafetyRequestException when the inputs are missing, empty, too many or too long
   * @throws ModelNotFoundException when another model is asked for
   */
  public CompletableFuture<Moderation> moderate(String requestedModel, List<String> inputs) {
    if (!requestedModel.isEmpty()
        && !requestedModel.equals(model.id())
        && !OPENAI_ALIASES.contains(requestedModel)) {
      throw new ModelNotFoundException(requestedModel);
    }
    if (inputs.isEmpty()) {
      throw new InvalidSafetyRequestException("input must hold at least one text.", "input");
    }
    if (inputs.size() > maxInputs) {
      throw new InvalidSafetyRequestException(
          "input holds " + inputs.size() + " texts; at most " + maxInputs + " are allowed.",
          "input");
    }
    for (int i = 0; i < inputs.size(); i++) {
      var text = inputs.get(i);
      if (text.isBlank()) {
        throw new InvalidSafetyRequestException("input[" + i + "] is empty.", "input");
      }
      if (text.length() > maxInputChars) {
        throw new InvalidSafetyRequestException(
            "input["
                + i
                + "] has "
                + text.length()
                + " characters; at most "
                + maxInputChars
                + " are allowed.",
            "input");
      }
    }
    return encoder
        .encode(inputs)
        .thenApply(
            windows -> {
              var results = new ArrayList<ModerationResult>(windows.size());
              for (var vectors : windows) {
                results.add(model.classify(vectors));
              }
              return new Moderation(model.id(), results);
            });
  }
}
