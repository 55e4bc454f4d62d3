package io.parley.inference.application;

import io.parley.inference.domain.TextEngine;

/** Turns a configured model into a running engine (downloading and loading it as needed). */
public interface ModelLoader {

  /**
   * Loads a model; may take minutes for a large download.
   *
   * @throws io.parley.inference.domain.EngineFailureException when the model cannot be loaded
   */
  TextEngine load(ModelSpec spec);
}
