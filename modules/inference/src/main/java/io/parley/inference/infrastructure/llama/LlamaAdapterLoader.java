package io.parley.inference.infrastructure.llama;

import io.parley.inference.application.AdapterLoader;
import io.parley.inference.domain.EngineFailureException;
import io.parley.inference.domain.TextEngine;
import java.nio.file.Path;

/** Starts {@link LlamaEngine#withAdapter adapter engines} over embedded llama base models. */
public final class LlamaAdapterLoader implements AdapterLoader {

  private final int slots;

  /**
   * @param slots parallel sequences of each adapter's context
   */
  public LlamaAdapterLoader(int slots) {
    this.slots = slots;
  }

  @Override
  public TextEngine load(TextEngine base, String modelId, Path adapter) {
    if (!(base instanceof LlamaEngine llama)) {
      throw new EngineFailureException(
          "Model " + base.info().id() + " is not served by the embedded engine: no LoRA adapters");
    }
    return LlamaEngine.withAdapter(llama, modelId, adapter, slots);
  }
}
