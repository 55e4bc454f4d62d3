package io.parley.safety.domain;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A moderation classifier: linear heads over the vectors of one sentence encoder, and a rule per
 * category. A long input is encoded as several windows; each category takes its highest score over
 * the windows and is flagged when it is flagged in any window.
 *
 * @param id model id shown in responses
 * @param encoder id of the sentence encoder whose vectors the heads were trained on
 * @param dimensions size of those vectors
 * @param heads heads by name
 * @param rules one rule per category, every category covered
 */
public record ModerationModel(
    String id,
    String encoder,
    int dimensions,
    Map<String, LinearHead> heads,
    Map<Category, CategoryRule> rules) {

  public ModerationModel {
    heads = Map.copyOf(new LinkedHashMap<>(heads));
    rules = Map.copyOf(new EnumMap<>(rules));
    for (var category : Category.values()) {
      var rule = rules.get(category);
      if (rule == null) {
        throw new IllegalArgumentException("Model " + id + " has no rule for " + category.id());
      }
      for (var head : rule.heads()) {
        if (!heads.containsKey(head)) {
          throw new IllegalArgumentException(
              "Category " + category.id() + " needs the missing head " + head);
        }
      }
    }
    for (var head : heads.values()) {
      if (head.weights().length != dimensions) {
        throw new IllegalArgumentException(
            "Head " + head.name() + " does not take " + dimensions + " dimensions");
      }
    }
  }

  /**
   * Classifies one input.
   *
   * @param windows the encoder's vectors of the input's windows, at least one
   */
  public ModerationResult classify(List<float[]> windows) {
    if (windows.isEmpty()) {
      throw new IllegalArgumentException("An input has at least one window");
    }
    var scores = new EnumMap<Category, Double>(Category.class);
    var flags = new EnumMap<Category, Boolean>(Category.class);
    for (var category : Category.values()) {
      scores.put(category, 0.0);
      flags.put(category, false);
    }
    for (var window : windows) {
      var headScores = new LinkedHashMap<String, Double>();
      for (var head : heads.values()) {
        headScores.put(head.name(), head.score(window));
      }
      for (var rule : rules.values()) {
        double score = 1;
        boolean flagged = true;
        for (var name : rule.heads()) {
          double s = headScores.get(name);
          score = Math.min(score, s);
          flagged &= s >= heads.get(name).threshold();
        }
        var category = rule.category();
        scores.merge(category, score, Math::max);
        flags.merge(category, flagged, Boolean::logicalOr);
      }
    }
    boolean any = flags.containsValue(true);
    return new ModerationResult(any, flags, scores);
  }
}
