package io.parley.embeddings.infrastructure.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.parley.embeddings.domain.Vectors;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A sentence-transformers model on ONNX Runtime: encodes a batch of token sequences in one {@link
 * OrtSession#run}, right-padded to the longest with an attention mask, then pools each sequence
 * ({@link PoolingMode}) and L2-normalises it. Thread-safe (ONNX Runtime sessions are).
 */
public final class OnnxEncoder implements AutoCloseable {

  private static final long PAD_ID = 0;

  private final OrtEnvironment environment;
  private final OrtSession session;
  private final boolean tokenTypeIds;
  private final String output;
  private final boolean pooledOutput;
  private final int dimensions;
  private final PoolingMode pooling;
  private final AtomicLong runs = new AtomicLong();

  private OnnxEncoder(OrtEnvironment environment, OrtSession session, PoolingMode pooling)
      throws OrtException {
    this.environment = environment;
    this.session = session;
    this.pooling = pooling;
    var inputs = session.getInputNames();
    if (!inputs.contains("input_ids") || !inputs.contains("attention_mask")) {
      throw new IllegalArgumentException(
          "The ONNX model must take input_ids and attention_mask, it takes " + inputs);
    }
    this.tokenTypeIds = inputs.contains("token_type_ids");
    // Token vectors (rank 3) are pooled here; a model exported with its pooling (rank 2) is used
    // as it is.
    String tokens = null;
    String sentence = null;
    int tokenDims = 0;
    int sentenceDims = 0;
    for (Map.Entry<String, NodeInfo> entry : session.getOutputInfo().entrySet()) {
      if (entry.getValue().getInfo() instanceof TensorInfo info) {
        long[] shape = info.getShape();
        if (shape.length == 3 && tokens == null) {
          tokens = entry.getKey();
          tokenDims = (int) shape[2];
        } else if (shape.length == 2 && sentence == null) {
          sentence = entry.getKey();
          sentenceDims = (int) shape[1];
        }
      }
    }
    if (tokens == null && sentence == null) {
      throw new IllegalArgumentException(
          "The ONNX model has no output of shape [batch, tokens, dims] or [batch, dims]");
    }
    this.pooledOutput = tokens == null;
    this.output = pooledOutput ? sentence : tokens;
    this.dimensions = pooledOutput ? sentenceDims : tokenDims;
  }

  /**
   * Creates a session for a model.
   *
   * @param model the ONNX file's bytes
   * @param pooling how token vectors become a sentence vector
   * @param threads intra-op threads of the session
   */
  public static OnnxEncoder load(byte[] model, PoolingMode pooling, int threads) {
    var environment = OrtEnvironment.getEnvironment();
    try (var options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(threads);
      options.setInterOpNumThreads(1);
      // Idle intra-op threads sleep instead of spinning between runs: runs come from a batcher
      // that waits for requests, and spinning threads would take the CPU from the callers
      // tokenizing the next requests (measured: a single caller 3x slower with spinning).
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
      // Tensors come from malloc, not from ONNX Runtime's own arena: the arena keeps the largest
      // batch's memory for good (and reserves ahead), while freed malloc memory goes back to the
      // system (-XX:TrimNativeHeapInterval). Measured on all-minilm-l6-v2-q: 11 MiB less resident
      // after loading the model, 42 MiB less after a burst of 8x128-token batches, same speed at
      // batch 1 and 8 (docs/operations.md#memory-and-threads).
      options.setCPUArenaAllocator(false);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      var session = environment.createSession(model, options);
      try {
        return new OnnxEncoder(environment, session, pooling);
      } catch (RuntimeException | OrtException e) {
        session.close();
        throw e;
      }
    } catch (OrtException e) {
      throw new IllegalArgumentException(
          "ONNX Runtime cannot load the model: " + e.getMessage(), e);
    }
  }

  /** Size of the vectors, as the model declares it (0 when its output shape does not say). */
  public int dimensions() {
    return dimensions;
  }

  /** How many times the model has run. */
  public long runs() {
    return runs.get();
  }

  /**
   * Encodes sequences in one run.
   *
   * @param sequences token ids, special tokens included; none empty
   * @return one unit vector per sequence, in order
   */
  public float[][] encode(List<long[]> sequences) throws OrtException {
    int batch = sequences.size();
    int length = 0;
    for (long[] sequence : sequences) {
      length = Math.max(length, sequence.length);
    }
    long[] ids = new long[batch * length];
    long[] mask = new long[batch * length];
    for (int i = 0; i < batch; i++) {
      long[] sequence = sequences.get(i);
      int offset = i * length;
      System.arraycopy(sequence, 0, ids, offset, sequence.length);
      Arrays.fill(ids, offset + sequence.length, offset + length, PAD_ID);
      Arrays.fill(mask, offset, offset + sequence.length, 1L);
    }
    long[] shape = {batch, length};
    try (var idsTensor = OnnxTensor.createTensor(environment, LongBuffer.wrap(ids), shape);
        var maskTensor = OnnxTensor.createTensor(environment, LongBuffer.wrap(mask), shape);
        var typeTensor =
            tokenTypeIds
                ? OnnxTensor.createTensor(
                    environment, LongBuffer.wrap(new long[batch * length]), shape)
                : null) {
      var inputs = new HashMap<String, OnnxTensor>();
      inputs.put("input_ids", idsTensor);
      inputs.put("attention_mask", maskTensor);
      if (typeTensor != null) {
        inputs.put("token_type_ids", typeTensor);
      }
      runs.incrementAndGet();
      try (var result = session.run(inputs, Set.of(output))) {
        var tensor = (OnnxTensor) result.get(0);
        long[] outShape = tensor.getInfo().getShape();
        FloatBuffer values = tensor.getFloatBuffer();
        return pooledOutput
            ? rows(values, batch, (int) outShape[1])
            : pool(values, sequences, length, (int) outShape[2]);
      }
    }
  }

  private static float[][] rows(FloatBuffer values, int batch, int dims) {
    var vectors = new float[batch][dims];
    for (int i = 0; i < batch; i++) {
      values.get(i * dims, vectors[i]);
      Vectors.normalize(vectors[i]);
    }
    return vectors;
  }

  private float[][] pool(FloatBuffer values, List<long[]> sequences, int length, int dims) {
    var vectors = new float[sequences.size()][];
    for (int i = 0; i < sequences.size(); i++) {
      int tokens = sequences.get(i).length;
      int base = i * length * dims;
      var vector = new float[dims];
      switch (pooling) {
        case CLS -> values.get(base, vector);
        case MEAN -> {
          for (int t = 0; t < tokens; t++) {
            int row = base + t * dims;
            for (int d = 0; d < dims; d++) {
              vector[d] += values.get(row + d);
            }
          }
          for (int d = 0; d < dims; d++) {
            vector[d] /= tokens;
          }
        }
      }
      vectors[i] = Vectors.normalize(vector);
    }
    return vectors;
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX session did not close", e);
    }
  }
}
