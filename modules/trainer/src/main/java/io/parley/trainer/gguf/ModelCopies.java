package io.parley.trainer.gguf;

import io.parley.llama.LlamaLibrary;
import io.parley.trainer.TrainerException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Copies of a GGUF model with other weight types, converted by ggml's own quantizer (the step
 * {@code llama_model_quantize} applies to each tensor): matrices whose rows divide into the type's
 * blocks are converted, vectors (norms) stay F32, as {@code llama_model_quantize} does.
 */
public final class ModelCopies {

  private ModelCopies() {}

  /** Writes {@code target}: {@code source} with its matrices converted to {@code type}. */
  public static void convert(LlamaLibrary lib, Path source, Path target, GgmlType type) {
    if (type != GgmlType.F32
        && type != GgmlType.F16
        && type != GgmlType.BF16
        && type != GgmlType.Q8_0) {
      throw new TrainerException("copies can be F32, F16, BF16 or Q8_0, not " + type);
    }
    try (GgufFile in = GgufFile.open(source)) {
      GgufWriter out = new GgufWriter();
      out.rawMetadata(in.rawMetadata(), in.metadataCount());
      for (Map.Entry<String, GgufFile.TensorInfo> e : in.tensors().entrySet()) {
        GgufFile.TensorInfo t = e.getValue();
        float[] values = in.floats(t.name());
        long perRow = t.ne()[0];
        long rows = values.length / perRow;
        boolean matrix = t.ne().length >= 2;
        GgmlType as = matrix && perRow % blockSize(type) == 0 ? type : GgmlType.F32;
        if (as == GgmlType.F32) {
          out.f32Tensor(t.name(), t.ne(), values);
        } else {
          out.tensor(t.name(), as, t.ne(), lib.quantize(as.code(), values, rows, perRow));
        }
      }
      out.write(target);
    }
  }

  private static int blockSize(GgmlType type) {
    return type == GgmlType.Q8_0 ? 32 : 1;
  }
}
