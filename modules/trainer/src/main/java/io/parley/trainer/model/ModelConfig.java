package io.parley.trainer.model;

import io.parley.trainer.TrainerException;
import io.parley.trainer.gguf.GgufFile;

/**
 * Hyperparameters of a llama-family model, read from its GGUF metadata ({@code
 * <arch>.embedding_length}, {@code <arch>.block_count}, ...).
 */
public record ModelConfig(
    String architecture,
    int embedding,
    int layers,
    int heads,
    int kvHeads,
    int feedForward,
    int vocab,
    int contextLength,
    int ropeDimensions,
    float ropeFreqBase,
    float rmsEps) {

  public int headDim() {
    return embedding / heads;
  }

  /** Reads the configuration; refuses architectures whose forward pass differs from llama's. */
  public static ModelConfig of(GgufFile gguf) {
    String arch =
        gguf.string("general.architecture")
            .orElseThrow(() -> new TrainerException("GGUF has no general.architecture"));
    if (!arch.equals("llama")) {
      throw new TrainerException(
          "architecture " + arch + " is not supported by the trainer (only llama)");
    }
    int embedding = req(gguf, arch + ".embedding_length");
    int heads = req(gguf, arch + ".attention.head_count");
    int kvHeads = (int) (long) gguf.integer(arch + ".attention.head_count_kv").orElse((long) heads);
    int layers = req(gguf, arch + ".block_count");
    int ff = req(gguf, arch + ".feed_forward_length");
    int ctx = req(gguf, arch + ".context_length");
    var emb =
        gguf.tensor("token_embd.weight")
            .orElseThrow(() -> new TrainerException("GGUF has no token_embd.weight"));
    int vocab = (int) emb.ne()[1];
    int headDim = embedding / heads;
    int rot = (int) (long) gguf.integer(arch + ".rope.dimension_count").orElse((long) headDim);
    float base = (float) (double) gguf.real(arch + ".rope.freq_base").orElse(10000.0);
    float eps = (float) (double) gguf.real(arch + ".attention.layer_norm_rms_epsilon").orElse(1e-5);
    if (embedding % heads != 0 || heads % kvHeads != 0 || rot != headDim || headDim % 2 != 0) {
      throw new TrainerException(
          "unsupported attention shape: embedding "
              + embedding
              + ", heads "
              + heads
              + ", kv heads "
              + kvHeads
              + ", rope dimensions "
              + rot);
    }
    if (gguf.string(arch + ".rope.scaling.type").filter(s -> !s.equals("none")).isPresent()) {
      throw new TrainerException("RoPE scaling is not supported by the trainer");
    }
    return new ModelConfig(arch, embedding, layers, heads, kvHeads, ff, vocab, ctx, rot, base, eps);
  }

  private static int req(GgufFile gguf, String key) {
    long v = gguf.integer(key).orElseThrow(() -> new TrainerException("GGUF has no " + key));
    if (v <= 0 || v > Integer.MAX_VALUE) {
      throw new TrainerException("GGUF " + key + " out of range: " + v);
    }
    return (int) v;
  }

  /** Parameters of the base model (embeddings, attention, MLP, norms, output head). */
  public long baseParameters(boolean tiedOutput) {
    long e = embedding;
    long kv = (long) kvHeads * headDim();
    long perLayer = e * e * 2 + e * kv * 2 + 3 * e * feedForward + 2 * e;
    return (long) vocab * e * (tiedOutput ? 1 : 2) + layers * perLayer + e;
  }
}
