package io.parley.llama;

import static io.parley.llama.LlamaLayouts.BATCH;
import static io.parley.llama.LlamaLayouts.CONTEXT_PARAMS;
import static io.parley.llama.LlamaLayouts.MODEL_PARAMS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Checks the struct layouts against llama.cpp b4916: sizes implied by {@code llama.h}, the default
 * values read back through the layouts, and that the native code writes exactly the bytes of each
 * layout (no more, no less).
 */
class LlamaLayoutsTest {

  private static final byte SENTINEL = (byte) 0xA5;
  private static final int SLACK = 64;

  @Test
  void layoutSizesMatchTheHeader() {
    // llama_model_params: 8 pointers/ints region (devices 8, 3 ints + pad 16, 4 pointers 32) + 4
    // bools padded to 8
    assertEquals(64, MODEL_PARAMS.byteSize());
    // llama_context_params: 18 x 4-byte fields + pad, 2 pointers, 2 enums, 5 bools + pad, 2
    // pointers
    assertEquals(120, CONTEXT_PARAMS.byteSize());
    // llama_batch: int32 + pad, 6 pointers
    assertEquals(56, BATCH.byteSize());
    assertEquals(16, LlamaLayouts.CHAT_MESSAGE.byteSize());

    assertEquals(8, MODEL_PARAMS.byteAlignment());
    assertEquals(8, CONTEXT_PARAMS.byteAlignment());
  }

  @Test
  void modelDefaultParamsReadBackThroughTheLayout() {
    LlamaLibrary lib = LlamaLibrary.load(Optional.empty());
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buffer = sentinelBuffer(arena, MODEL_PARAMS.byteSize());
      MemorySegment p = lib.modelDefaultParams(exactly(buffer));
      assertWrittenExactly(buffer, MODEL_PARAMS.byteSize());

      assertEquals(MemorySegment.NULL, LlamaLayouts.getAddress(p, MODEL_PARAMS, "devices"));
      assertEquals(0, LlamaLayouts.getInt(p, MODEL_PARAMS, "n_gpu_layers"));
      assertEquals(1, LlamaLayouts.getInt(p, MODEL_PARAMS, "split_mode")); // LLAMA_SPLIT_MODE_LAYER
      assertEquals(0, LlamaLayouts.getInt(p, MODEL_PARAMS, "main_gpu"));
      assertEquals(MemorySegment.NULL, LlamaLayouts.getAddress(p, MODEL_PARAMS, "tensor_split"));
      assertEquals(
          MemorySegment.NULL, LlamaLayouts.getAddress(p, MODEL_PARAMS, "progress_callback"));
      assertEquals(MemorySegment.NULL, LlamaLayouts.getAddress(p, MODEL_PARAMS, "kv_overrides"));
      assertFalse(LlamaLayouts.getBoolean(p, MODEL_PARAMS, "vocab_only"));
      assertTrue(LlamaLayouts.getBoolean(p, MODEL_PARAMS, "use_mmap"));
      assertFalse(LlamaLayouts.getBoolean(p, MODEL_PARAMS, "use_mlock"));
      assertFalse(LlamaLayouts.getBoolean(p, MODEL_PARAMS, "check_tensors"));
    }
  }

  @Test
  void contextDefaultParamsReadBackThroughTheLayout() {
    LlamaLibrary lib = LlamaLibrary.load(Optional.empty());
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buffer = sentinelBuffer(arena, CONTEXT_PARAMS.byteSize());
      MemorySegment p = lib.contextDefaultParams(exactly(buffer));
      assertWrittenExactly(buffer, CONTEXT_PARAMS.byteSize());

      assertEquals(512, LlamaLayouts.getInt(p, CONTEXT_PARAMS, "n_ctx"));
      assertEquals(2048, LlamaLayouts.getInt(p, CONTEXT_PARAMS, "n_batch"));
      assertEquals(512, LlamaLayouts.getInt(p, CONTEXT_PARAMS, "n_ubatch"));
      assertEquals(1, LlamaLayouts.getInt(p, CONTEXT_PARAMS, "n_seq_max"));
      assertEquals(
          4, LlamaLayouts.getInt(p, CONTEXT_PARAMS, "n_threads")); // GGML_DEFAULT_N_THREADS
      assertEquals(4, LlamaLayouts.getInt(p, CONTEXT_PARAMS, "n_threads_batch"));
      assertEquals(-1, LlamaLayouts.getInt(p, CONTEXT_PARAMS, "rope_scaling_type"));
      assertEquals(-1, LlamaLayouts.getInt(p, CONTEXT_PARAMS, "pooling_type"));
      assertEquals(-1, LlamaLayouts.getInt(p, CONTEXT_PARAMS, "attention_type"));
      assertEquals(0f, LlamaLayouts.getFloat(p, CONTEXT_PARAMS, "rope_freq_base"));
      assertEquals(0f, LlamaLayouts.getFloat(p, CONTEXT_PARAMS, "rope_freq_scale"));
      assertEquals(-1f, LlamaLayouts.getFloat(p, CONTEXT_PARAMS, "yarn_ext_factor"));
      assertEquals(1f, LlamaLayouts.getFloat(p, CONTEXT_PARAMS, "yarn_attn_factor"));
      assertEquals(32f, LlamaLayouts.getFloat(p, CONTEXT_PARAMS, "yarn_beta_fast"));
      assertEquals(1f, LlamaLayouts.getFloat(p, CONTEXT_PARAMS, "yarn_beta_slow"));
      assertEquals(0, LlamaLayouts.getInt(p, CONTEXT_PARAMS, "yarn_orig_ctx"));
      assertEquals(-1f, LlamaLayouts.getFloat(p, CONTEXT_PARAMS, "defrag_thold"));
      assertEquals(MemorySegment.NULL, LlamaLayouts.getAddress(p, CONTEXT_PARAMS, "cb_eval"));
      assertEquals(
          MemorySegment.NULL, LlamaLayouts.getAddress(p, CONTEXT_PARAMS, "cb_eval_user_data"));
      assertEquals(1, LlamaLayouts.getInt(p, CONTEXT_PARAMS, "type_k")); // GGML_TYPE_F16
      assertEquals(1, LlamaLayouts.getInt(p, CONTEXT_PARAMS, "type_v"));
      assertFalse(LlamaLayouts.getBoolean(p, CONTEXT_PARAMS, "logits_all"));
      assertFalse(LlamaLayouts.getBoolean(p, CONTEXT_PARAMS, "embeddings"));
      assertTrue(LlamaLayouts.getBoolean(p, CONTEXT_PARAMS, "offload_kqv"));
      assertFalse(LlamaLayouts.getBoolean(p, CONTEXT_PARAMS, "flash_attn"));
      assertTrue(LlamaLayouts.getBoolean(p, CONTEXT_PARAMS, "no_perf"));
      assertEquals(
          MemorySegment.NULL, LlamaLayouts.getAddress(p, CONTEXT_PARAMS, "abort_callback"));
      assertEquals(
          MemorySegment.NULL, LlamaLayouts.getAddress(p, CONTEXT_PARAMS, "abort_callback_data"));
    }
  }

  @Test
  void batchInitFillsTheBatchLayout() throws Throwable {
    LlamaLibrary lib = LlamaLibrary.load(Optional.empty());
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment buffer = sentinelBuffer(arena, BATCH.byteSize());
      MemorySegment batch = (MemorySegment) lib.batchInit.invokeExact(exactly(buffer), 8, 0, 2);
      assertWrittenExactly(buffer, BATCH.byteSize());
      assertEquals(0, LlamaLayouts.getInt(batch, BATCH, "n_tokens"));
      assertEquals(MemorySegment.NULL, LlamaLayouts.getAddress(batch, BATCH, "embd"));
      for (String field : new String[] {"token", "pos", "n_seq_id", "seq_id", "logits"}) {
        assertNotEquals(MemorySegment.NULL, LlamaLayouts.getAddress(batch, BATCH, field), field);
      }
      lib.batchFree.invokeExact(batch);
    }
  }

  private static MemorySegment sentinelBuffer(Arena arena, long size) {
    MemorySegment buffer = arena.allocate(size + SLACK, 16);
    buffer.fill(SENTINEL);
    return buffer;
  }

  /**
   * An allocator that hands out the start of {@code buffer}, so bytes written past the layout stay
   * visible.
   */
  private static SegmentAllocator exactly(MemorySegment buffer) {
    return (size, alignment) -> buffer.asSlice(0, size);
  }

  /** The native side wrote the last 8 bytes of the struct and nothing after it. */
  private static void assertWrittenExactly(MemorySegment buffer, long size) {
    boolean lastWordWritten = false;
    for (long i = size - 8; i < size; i++) {
      lastWordWritten |= buffer.get(ValueLayout.JAVA_BYTE, i) != SENTINEL;
    }
    assertTrue(
        lastWordWritten, "native code did not write the end of the struct: layout too large");
    for (long i = size; i < size + SLACK; i++) {
      assertEquals(
          SENTINEL,
          buffer.get(ValueLayout.JAVA_BYTE, i),
          "native code wrote past the layout at " + i);
    }
  }
}
