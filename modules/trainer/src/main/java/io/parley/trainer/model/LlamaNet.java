package io.parley.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.parley.trainer.TrainerException;
import io.parley.trainer.gguf.GgmlType;
import io.parley.trainer.gguf.GgufFile;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The llama-family forward pass in DJL NDArray operations, with LoRA on the projections: token
 * embeddings, RMSNorm, RoPE (llama.cpp's normal mode: adjacent pairs, angles computed in float as
 * ggml does), grouped-query attention with a causal mask, SwiGLU and the output head (the token
 * embeddings when the model has no {@code output.weight}).
 *
 * <p>Frozen weights are dequantized to F32. With {@code matchLlamaCpp}, the input of each frozen
 * matrix product is rounded the way llama.cpp's CPU backend rounds it for that weight type (F16 and
 * BF16: the activations are converted to that type; Q8_0: they are quantized to Q8_0 blocks), so
 * training sees the numbers serving computes; the rounding passes gradients straight through.
 *
 * <p>All activations of a call belong to the {@link NDManager} passed to {@link #forward}; the
 * weights and LoRA parameters belong to the manager given at construction.
 */
public final class LlamaNet implements AutoCloseable {

  /** Projections LoRA can adapt, in parameter order. */
  public static final List<String> ATTENTION = List.of("attn_q", "attn_k", "attn_v", "attn_output");

  public static final List<String> MLP = List.of("ffn_gate", "ffn_up", "ffn_down");

  /** Attention score of a future position: finite, so no infinity reaches a gradient. */
  private static final float MASKED = -1e30f;

  private record Frozen(NDArray transposed, GgmlType type) {}

  /** One LoRA pair on the base tensor {@code name}: {@code W x + scale * B A x}. */
  public static final class Lora {
    public final String name;
    public final int in;
    public final int out;
    public final int rank;

    /** A transposed, {@code [in, rank]}. */
    public final NDArray at;

    /** B transposed, {@code [rank, out]}. */
    public final NDArray bt;

    Lora(String name, int in, int out, int rank, NDArray at, NDArray bt) {
      this.name = name;
      this.in = in;
      this.out = out;
      this.rank = rank;
      this.at = at;
      this.bt = bt;
    }
  }

  private final ModelConfig config;
  private final LoraOptions lora;
  private final NDManager manager;
  private final boolean matchLlamaCpp;
  private final float[] embeddings;
  private final Frozen output;
  private final boolean tiedOutput;
  private final NDArray outputNorm;
  private final NDArray[] attnNorm;
  private final NDArray[] ffnNorm;
  private final Frozen[][] weights; // [layer][q,k,v,o,gate,up,down]
  private final Lora[][] loras; // [layer][q,k,v,o,(gate,up,down)]
  private final List<Lora> loraList;
  private final float[] ropeFactors;

  private LlamaNet(
      GgufFile gguf, NDManager manager, LoraOptions lora, boolean matchLlamaCpp, long seed) {
    this.config = ModelConfig.of(gguf);
    this.lora = lora;
    this.manager = manager;
    this.matchLlamaCpp = matchLlamaCpp;
    this.embeddings = gguf.floats("token_embd.weight");
    tiedOutput = gguf.tensor("output.weight").isEmpty();
    output = frozen(gguf, tiedOutput ? "token_embd.weight" : "output.weight");
    outputNorm = vector(gguf, "output_norm.weight");
    int n = config.layers();
    attnNorm = new NDArray[n];
    ffnNorm = new NDArray[n];
    weights = new Frozen[n][];
    loras = new Lora[n][];
    List<Lora> all = new ArrayList<>();
    SplittableRandom random = new SplittableRandom(seed);
    List<String> adapted = new ArrayList<>(ATTENTION);
    if (lora.mlp()) {
      adapted.addAll(MLP);
    }
    for (int l = 0; l < n; l++) {
      String p = "blk." + l + ".";
      attnNorm[l] = vector(gguf, p + "attn_norm.weight");
      ffnNorm[l] = vector(gguf, p + "ffn_norm.weight");
      weights[l] = new Frozen[7];
      List<String> names = new ArrayList<>(ATTENTION);
      names.addAll(MLP);
      for (int i = 0; i < 7; i++) {
        weights[l][i] = frozen(gguf, p + names.get(i) + ".weight");
      }
      loras[l] = new Lora[adapted.size()];
      for (int i = 0; i < adapted.size(); i++) {
        String name = p + adapted.get(i) + ".weight";
        long[] ne = gguf.tensor(name).orElseThrow().ne();
        loras[l][i] = newLora(name, (int) ne[0], (int) ne[1], random);
        all.add(loras[l][i]);
      }
    }
    loraList = Collections.unmodifiableList(all);
    ropeFactors =
        gguf.tensor("rope_freqs.weight").isPresent() ? gguf.floats("rope_freqs.weight") : null;
  }

  /**
   * Loads the base model's weights and creates LoRA parameters: A uniform in {@code ±1/sqrt(in)}
   * from {@code seed}, B zero (so the adapted model starts equal to the base model).
   */
  public static LlamaNet load(
      GgufFile gguf, NDManager manager, LoraOptions lora, boolean matchLlamaCpp, long seed) {
    return new LlamaNet(gguf, manager, lora, matchLlamaCpp, seed);
  }

  public ModelConfig config() {
    return config;
  }

  public LoraOptions loraOptions() {
    return lora;
  }

  public boolean tiedOutput() {
    return tiedOutput;
  }

  /** The LoRA pairs in a fixed order (layer by layer, projection by projection). */
  public List<Lora> loras() {
    return loraList;
  }

  /**
   * Sets a LoRA pair's values from llama.cpp's orientation (A {@code [r][in]}, B {@code [out][r]}).
   */
  public void setLora(int index, float[] a, float[] b) {
    Lora l = loraList.get(index);
    if (a.length != l.in * l.rank || b.length != l.out * l.rank) {
      throw new TrainerException("LoRA values for " + l.name + " have the wrong size");
    }
    assign(l.at, transpose(a, l.rank, l.in));
    assign(l.bt, transpose(b, l.out, l.rank));
  }

  /**
   * Copies {@code values} into a parameter's own storage with an in-place addition (outside any
   * gradient recording), so the parameter never refers to memory owned by Java.
   */
  public static void assign(NDArray param, float[] values) {
    try (NDManager temp = NDManager.newBaseManager()) {
      NDArray v = temp.create(values, param.getShape());
      param.subi(param).addi(v);
    }
  }

  /** A LoRA pair's values in llama.cpp's orientation: {@code {A [r][in], B [out][r]}}. */
  public float[][] getLora(int index) {
    Lora l = loraList.get(index);
    return new float[][] {
      transpose(l.at.toFloatArray(), l.in, l.rank), transpose(l.bt.toFloatArray(), l.rank, l.out)
    };
  }

  private static float[] transpose(float[] m, int rows, int cols) {
    float[] t = new float[m.length];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < cols; j++) {
        t[j * rows + i] = m[i * cols + j];
      }
    }
    return t;
  }

  private Lora newLora(String name, int in, int out, SplittableRandom random) {
    int r = lora.rank();
    float[] a = new float[in * r];
    double bound = 1.0 / Math.sqrt(in);
    for (int i = 0; i < a.length; i++) {
      a[i] = (float) ((random.nextDouble() * 2 - 1) * bound);
    }
    NDArray at = manager.create(a, new Shape(in, r));
    NDArray bt = manager.zeros(new Shape(r, out), DataType.FLOAT32);
    at.setRequiresGradient(true);
    bt.setRequiresGradient(true);
    return new Lora(name, in, out, r, at, bt);
  }

  private Frozen frozen(GgufFile gguf, String name) {
    var info =
        gguf.tensor(name).orElseThrow(() -> new TrainerException("GGUF has no tensor " + name));
    if (info.ne().length != 2) {
      throw new TrainerException("tensor " + name + " is not a matrix");
    }
    NDArray w = manager.create(gguf.floats(name), new Shape(info.ne()[1], info.ne()[0]));
    return new Frozen(w.transpose(), info.type());
  }

  private NDArray vector(GgufFile gguf, String name) {
    float[] v = gguf.floats(name);
    if (v.length != config.embedding()) {
      throw new TrainerException("tensor " + name + " has " + v.length + " values");
    }
    return manager.create(v);
  }

  /**
   * Logits {@code [batch, length, vocab]} for right-padded token rows (all rows the same length);
   * position {@code t} sees positions {@code 0..t} of its row only.
   */
  public NDArray forward(NDManager sub, int[][] tokens) {
    int b = tokens.length;
    int t = tokens[0].length;
    int e = config.embedding();
    int h = config.heads();
    int kvh = config.kvHeads();
    int d = config.headDim();
    float[] x0 = new float[b * t * e];
    for (int i = 0; i < b; i++) {
      if (tokens[i].length != t) {
        throw new TrainerException("token rows must have the same length");
      }
      for (int j = 0; j < t; j++) {
        int tok = tokens[i][j];
        if (tok < 0 || tok >= config.vocab()) {
          throw new TrainerException("token " + tok + " outside the vocabulary");
        }
        System.arraycopy(embeddings, tok * e, x0, (i * t + j) * e, e);
      }
    }
    NDArray x = sub.create(x0, new Shape(b, t, e));
    float[] maskValues = new float[t * t];
    for (int i = 0; i < t; i++) {
      for (int j = i + 1; j < t; j++) {
        maskValues[i * t + j] = MASKED;
      }
    }
    NDArray mask = sub.create(maskValues, new Shape(t, t));
    NDArray[] rope = rope(sub, t);
    float attnScale = (float) (1.0 / Math.sqrt(d));
    for (int l = 0; l < config.layers(); l++) {
      NDArray hN = rmsNorm(x, attnNorm[l]);
      NDArray q = project(sub, hN, weights[l][0], loras[l][0]);
      NDArray k = project(sub, hN, weights[l][1], loras[l][1]);
      NDArray v = project(sub, hN, weights[l][2], loras[l][2]);
      q = applyRope(q.reshape(b, t, h, d), rope).transpose(0, 2, 1, 3);
      k = applyRope(k.reshape(b, t, kvh, d), rope).transpose(0, 2, 1, 3);
      v = v.reshape(b, t, kvh, d).transpose(0, 2, 1, 3);
      if (kvh != h) {
        int g = h / kvh;
        // query head i reads key/value head i / g, as ggml broadcasts them
        k = k.repeat(1, g);
        v = v.repeat(1, g);
      }
      NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(attnScale).add(mask);
      NDArray attn = scores.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(b, t, h * d);
      x = x.add(project(sub, attn, weights[l][3], loras[l][3]));
      NDArray f = rmsNorm(x, ffnNorm[l]);
      NDArray gate = project(sub, f, weights[l][4], lora.mlp() ? loras[l][4] : null);
      NDArray up = project(sub, f, weights[l][5], lora.mlp() ? loras[l][5] : null);
      NDArray act = gate.mul(Activation.sigmoid(gate)).mul(up);
      x = x.add(project(sub, act, weights[l][6], lora.mlp() ? loras[l][6] : null));
    }
    return project(sub, rmsNorm(x, outputNorm), output, null);
  }

  private NDArray rmsNorm(NDArray x, NDArray weight) {
    NDArray ms = x.mul(x).mean(new int[] {-1}, true);
    return x.div(ms.add(config.rmsEps()).sqrt()).mul(weight);
  }

  private NDArray project(NDManager sub, NDArray x, Frozen w, Lora adapter) {
    NDArray y = rounded(sub, x, w.type()).matMul(w.transposed());
    if (adapter != null) {
      y = y.add(x.matMul(adapter.at).matMul(adapter.bt).mul(lora.scale()));
    }
    return y;
  }

  /** The activations as llama.cpp's CPU matrix product sees them for a weight of {@code type}. */
  private NDArray rounded(NDManager sub, NDArray x, GgmlType type) {
    if (!matchLlamaCpp) {
      return x;
    }
    return switch (type) {
      case F16 -> x.toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false);
      case BF16 -> x.toType(DataType.BFLOAT16, false).toType(DataType.FLOAT32, false);
      case Q8_0 -> {
        Shape shape = x.getShape();
        long in = shape.get(shape.dimension() - 1);
        NDArray blocks = x.stopGradient().reshape(-1, in / 32, 32);
        NDArray amax = blocks.abs().max(new int[] {-1}, true);
        NDArray d = amax.div(127f).toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false);
        NDArray id = sub.full(amax.getShape(), 127f).div(amax.maximum(1e-30f));
        NDArray q = blocks.mul(id).round().mul(d).reshape(shape);
        yield x.add(q.sub(x).stopGradient());
      }
      default -> x;
    };
  }

  /** cos and sin {@code [t, 1, d/2]} for positions 0..t-1, computed as ggml does (in float). */
  private NDArray[] rope(NDManager sub, int t) {
    int half = config.headDim() / 2;
    float thetaScale = (float) Math.pow(config.ropeFreqBase(), -2.0 / config.ropeDimensions());
    float[] cos = new float[t * half];
    float[] sin = new float[t * half];
    for (int p = 0; p < t; p++) {
      float theta = p;
      for (int i = 0; i < half; i++) {
        float th = ropeFactors == null ? theta : theta / ropeFactors[i];
        cos[p * half + i] = (float) Math.cos(th);
        sin[p * half + i] = (float) Math.sin(th);
        theta *= thetaScale;
      }
    }
    return new NDArray[] {
      sub.create(cos, new Shape(t, 1, half)), sub.create(sin, new Shape(t, 1, half))
    };
  }

  private static NDArray applyRope(NDArray x, NDArray[] rope) {
    Shape s = x.getShape();
    NDArray pairs = x.reshape(s.get(0), s.get(1), s.get(2), s.get(3) / 2, 2);
    NDArray a = pairs.get(new NDIndex("..., 0"));
    NDArray b = pairs.get(new NDIndex("..., 1"));
    NDArray ra = a.mul(rope[0]).sub(b.mul(rope[1]));
    NDArray rb = a.mul(rope[1]).add(b.mul(rope[0]));
    return ra.stack(rb, -1).reshape(s);
  }

  @Override
  public void close() {
    manager.close();
  }
}
