package io.parley.inference.application;

import io.parley.inference.domain.TextEngine;
import java.nio.file.Path;

/** Starts engines that apply a LoRA adapter over a loaded base model. */
public interface AdapterLoader {

  /**
   * Starts an engine for the adapter at {@code adapter} over {@code base}, sharing the base's
   * weights and decoding in a context of its own. Close it before {@code base}.
   *
   * @param modelId the id the new engine reports
   * @throws io.parley.inference.domain.EngineFailureException when the adapter cannot be applied
   */
  TextEngine load(TextEngine base, String modelId, Path adapter);
}
