package io.parley.llama;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;

/**
 * Memory layouts of the llama.cpp structs passed by value, matching {@code include/llama.h} of
 * llama.cpp build b4916 on LP64 (x86_64/aarch64 Linux).
 */
public final class LlamaLayouts {

  private LlamaLayouts() {}

  /** {@code struct llama_model_params}: 64 bytes. */
  public static final StructLayout MODEL_PARAMS =
      structLayout(
              ADDRESS.withName("devices"),
              JAVA_INT.withName("n_gpu_layers"),
              JAVA_INT.withName("split_mode"),
              JAVA_INT.withName("main_gpu"),
              paddingLayout(4),
              ADDRESS.withName("tensor_split"),
              ADDRESS.withName("progress_callback"),
              ADDRESS.withName("progress_callback_user_data"),
              ADDRESS.withName("kv_overrides"),
              JAVA_BOOLEAN.withName("vocab_only"),
              JAVA_BOOLEAN.withName("use_mmap"),
              JAVA_BOOLEAN.withName("use_mlock"),
              JAVA_BOOLEAN.withName("check_tensors"),
              paddingLayout(4))
          .withName("llama_model_params");

  /** {@code struct llama_context_params}: 120 bytes. */
  public static final StructLayout CONTEXT_PARAMS =
      structLayout(
              JAVA_INT.withName("n_ctx"),
              JAVA_INT.withName("n_batch"),
              JAVA_INT.withName("n_ubatch"),
              JAVA_INT.withName("n_seq_max"),
              JAVA_INT.withName("n_threads"),
              JAVA_INT.withName("n_threads_batch"),
              JAVA_INT.withName("rope_scaling_type"),
              JAVA_INT.withName("pooling_type"),
              JAVA_INT.withName("attention_type"),
              JAVA_FLOAT.withName("rope_freq_base"),
              JAVA_FLOAT.withName("rope_freq_scale"),
              JAVA_FLOAT.withName("yarn_ext_factor"),
              JAVA_FLOAT.withName("yarn_attn_factor"),
              JAVA_FLOAT.withName("yarn_beta_fast"),
              JAVA_FLOAT.withName("yarn_beta_slow"),
              JAVA_INT.withName("yarn_orig_ctx"),
              JAVA_FLOAT.withName("defrag_thold"),
              paddingLayout(4),
              ADDRESS.withName("cb_eval"),
              ADDRESS.withName("cb_eval_user_data"),
              JAVA_INT.withName("type_k"),
              JAVA_INT.withName("type_v"),
              JAVA_BOOLEAN.withName("logits_all"),
              JAVA_BOOLEAN.withName("embeddings"),
              JAVA_BOOLEAN.withName("offload_kqv"),
              JAVA_BOOLEAN.withName("flash_attn"),
              JAVA_BOOLEAN.withName("no_perf"),
              paddingLayout(3),
              ADDRESS.withName("abort_callback"),
              ADDRESS.withName("abort_callback_data"))
          .withName("llama_context_params");

  /** {@code struct llama_batch}: 56 bytes. */
  public static final StructLayout BATCH =
      structLayout(
              JAVA_INT.withName("n_tokens"),
              paddingLayout(4),
              ADDRESS.withName("token"),
              ADDRESS.withName("embd"),
              ADDRESS.withName("pos"),
              ADDRESS.withName("n_seq_id"),
              ADDRESS.withName("seq_id"),
              ADDRESS.withName("logits"))
          .withName("llama_batch");

  /** {@code struct llama_chat_message}: 16 bytes. */
  public static final StructLayout CHAT_MESSAGE =
      structLayout(ADDRESS.withName("role"), ADDRESS.withName("content"))
          .withName("llama_chat_message");

  public static int getInt(MemorySegment struct, StructLayout layout, String name) {
    return struct.get(JAVA_INT, layout.byteOffset(groupElement(name)));
  }

  public static void setInt(MemorySegment struct, StructLayout layout, String name, int value) {
    struct.set(JAVA_INT, layout.byteOffset(groupElement(name)), value);
  }

  public static float getFloat(MemorySegment struct, StructLayout layout, String name) {
    return struct.get(JAVA_FLOAT, layout.byteOffset(groupElement(name)));
  }

  public static void setFloat(MemorySegment struct, StructLayout layout, String name, float value) {
    struct.set(JAVA_FLOAT, layout.byteOffset(groupElement(name)), value);
  }

  public static boolean getBoolean(MemorySegment struct, StructLayout layout, String name) {
    return struct.get(JAVA_BOOLEAN, layout.byteOffset(groupElement(name)));
  }

  public static void setBoolean(
      MemorySegment struct, StructLayout layout, String name, boolean value) {
    struct.set(JAVA_BOOLEAN, layout.byteOffset(groupElement(name)), value);
  }

  public static MemorySegment getAddress(MemorySegment struct, StructLayout layout, String name) {
    return struct.get(ADDRESS, layout.byteOffset(groupElement(name)));
  }
}
