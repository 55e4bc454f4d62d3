package io.parley.trainer.lora;

import io.parley.trainer.TrainerException;
import io.parley.trainer.gguf.GgmlType;
import io.parley.trainer.gguf.GgufFile;
import io.parley.trainer.gguf.GgufWriter;
import io.parley.trainer.model.LlamaNet;
import java.nio.file.Path;
import java.util.List;

/**
 * GGUF LoRA adapters as llama.cpp b4916 loads them ({@code llama_adapter_lora_init}): {@code
 * general.type = adapter}, {@code adapter.type = lora}, {@code adapter.lora.alpha}, and for each
 * adapted base tensor {@code W} (ggml shape {@code [in, out]}) an F32 {@code W.lora_a} of ggml
 * shape {@code [in, r]} and an F32 {@code W.lora_b} of ggml shape {@code [r, out]}; llama.cpp
 * computes {@code W x + (alpha / r) * B (A x)}.
 */
public final class LoraAdapterFile {

  private LoraAdapterFile() {}

  /** Values of one LoRA pair: A as {@code [r][in]} (row-major) and B as {@code [out][r]}. */
  public record Pair(String name, int in, int out, int rank, float[] a, float[] b) {}

  /** Writes the adapter of {@code pairs} for a base model of {@code architecture}. */
  public static void write(Path target, String architecture, float alpha, List<Pair> pairs) {
    GgufWriter w =
        new GgufWriter()
            .string("general.architecture", architecture)
            .string("general.type", "adapter")
            .string("adapter.type", "lora")
            .f32("adapter.lora.alpha", alpha);
    for (Pair p : pairs) {
      w.f32Tensor(p.name() + ".lora_a", new long[] {p.in(), p.rank()}, p.a());
      w.f32Tensor(p.name() + ".lora_b", new long[] {p.rank(), p.out()}, p.b());
    }
    w.write(target);
  }

  /** The pairs of a trained network, in llama.cpp's orientation. */
  public static List<Pair> pairs(LlamaNet net) {
    List<Pair> out = new java.util.ArrayList<>();
    for (int i = 0; i < net.loras().size(); i++) {
      LlamaNet.Lora l = net.loras().get(i);
      float[][] ab = net.getLora(i);
      out.add(new Pair(l.name, l.in, l.out, l.rank, ab[0], ab[1]));
    }
    return out;
  }

  /** Reads pairs back from an adapter file (for resuming and checks). */
  public static List<Pair> read(Path path) {
    try (GgufFile gguf = GgufFile.open(path)) {
      if (!"adapter".equals(gguf.string("general.type").orElse(""))
          || !"lora".equals(gguf.string("adapter.type").orElse(""))) {
        throw new TrainerException(path + " is not a LoRA adapter");
      }
      return gguf.tensors().keySet().stream()
          .filter(n -> n.endsWith(".lora_a"))
          .map(
              n -> {
                String base = n.substring(0, n.length() - ".lora_a".length());
                var a = gguf.tensor(n).orElseThrow();
                var b =
                    gguf.tensor(base + ".lora_b")
                        .orElseThrow(() -> new TrainerException("no lora_b for " + base));
                if (a.type() != GgmlType.F32 || b.type() != GgmlType.F32) {
                  throw new TrainerException("adapter tensors must be F32");
                }
                return new Pair(
                    base,
                    (int) a.ne()[0],
                    (int) b.ne()[1],
                    (int) a.ne()[1],
                    gguf.floats(n),
                    gguf.floats(base + ".lora_b"));
              })
          .toList();
    }
  }
}
