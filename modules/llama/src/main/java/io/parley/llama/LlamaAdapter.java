package io.parley.llama;

import java.lang.foreign.MemorySegment;

/**
 * A LoRA adapter llama.cpp loaded for one {@link LlamaModel}; closing it (or the model) frees it.
 * Remove it from the context ({@link LlamaModel#clearAdapters()}) before closing it.
 */
public final class LlamaAdapter implements AutoCloseable {

  private final LlamaModel model;
  private final MemorySegment handle;

  LlamaAdapter(LlamaModel model, MemorySegment handle) {
    this.model = model;
    this.handle = handle;
  }

  MemorySegment handle() {
    return handle;
  }

  @Override
  public void close() {
    model.freeAdapter(this);
  }
}
