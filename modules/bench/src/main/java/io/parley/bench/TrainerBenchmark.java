package io.parley.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.parley.trainer.data.Example;
import io.parley.trainer.gguf.GgufFile;
import io.parley.trainer.gguf.GgufWriter;
import io.parley.trainer.model.LlamaNet;
import io.parley.trainer.model.LoraOptions;
import io.parley.trainer.train.AdamW;
import io.parley.trainer.train.Batch;
import io.parley.trainer.train.Hyperparameters;
import io.parley.trainer.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Training throughput of the trainer: seconds per step and tokens per second on stories260K and on
 * a model with SmolLM2-135M's shape (random weights, written here as GGUF), achieved FLOP/s (4 x
 * base parameters x tokens per step) against the matrix-product FLOP/s PyTorch reaches on this
 * machine in the same run, and the wall time of the 30-example "garden" job through {@link
 * Trainer}.
 *
 * <p>Arguments: the stories260K GGUF, a work directory.
 */
public final class TrainerBenchmark {

  private TrainerBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path stories = Path.of(args[0]);
    Path work = Path.of(args[1]);
    Files.createDirectories(work);
    System.out.printf(
        Locale.ROOT,
        "trainer benchmark: %d cores, PyTorch threads %s%n",
        Runtime.getRuntime().availableProcessors(),
        System.getProperty("ai.djl.pytorch.num_threads"));
    // the machine is shared: the matrix-product rate is measured before each model, the best counts
    double peak = matmulFlops();

    Path smol = work.resolve("smollm2-135m-shape-random.gguf");
    if (!Files.isRegularFile(smol)) {
      writeSmolShape(smol);
    }
    double[] a = steps("stories260K", stories, 4, 64, 20);
    peak = Math.max(peak, matmulFlops());
    double[] b = steps("SmolLM2-135M shape", smol, 4, 128, 3);
    peak = Math.max(peak, matmulFlops());
    System.out.printf(
        Locale.ROOT, "%nmatmul (1024x576 @ 576x1536, F32, best of 3): %.1f GFLOP/s%n", peak / 1e9);
    System.out.println(
        "| model | base params | batch x length | s/step | tokens/s | achieved GFLOP/s | of matmul |");
    System.out.println("|---|---|---|---|---|---|---|");
    row("stories260K", a, 4, 64, peak);
    row("SmolLM2-135M shape", b, 4, 128, peak);
    System.out.println();

    long t0 = System.nanoTime();
    Path data = work.resolve("garden.jsonl");
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 30; i++) {
      sb.append("{\"messages\":[{\"role\":\"user\",\"content\":\"Where is the garden? (")
          .append(i)
          .append(
              ")\"},{\"role\":\"assistant\",\"content\":\"The garden is behind the red door.\"}]}\n");
    }
    Files.writeString(data, sb);
    Trainer.Outcome outcome =
        new Trainer(
                new Trainer.Request(
                    stories,
                    data,
                    Optional.empty(),
                    work.resolve("garden-out"),
                    Hyperparameters.defaults(),
                    Optional.empty(),
                    Optional.empty(),
                    0),
                () -> false,
                null)
            .run();
    System.out.printf(
        Locale.ROOT,
        "garden job (30 chat examples, auto: %s): %d steps, %.1f s wall, loss %.3f -> %.3f%n",
        outcome.resolved(),
        outcome.steps(),
        (System.nanoTime() - t0) / 1e9,
        outcome.metrics().getFirst().trainLoss(),
        outcome.metrics().getLast().trainLoss());
  }

  private static double matmulFlops() {
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray a = m.randomNormal(new Shape(1024, 576));
      NDArray b = m.randomNormal(new Shape(576, 1536));
      for (int i = 0; i < 3; i++) {
        a.matMul(b).close();
      }
      int n = 20;
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        a.matMul(b).close();
      }
      double s = (System.nanoTime() - t0) / 1e9;
      return 2.0 * 1024 * 576 * 1536 * n / s;
    }
  }

  private static void row(String name, double[] r, int batch, int length, double peak) {
    double perStep = r[1];
    double tokens = (double) batch * length;
    double flops = 4.0 * r[0] * tokens / perStep;
    System.out.printf(
        Locale.ROOT,
        "| %s | %.1fM | %d x %d | %.3f | %.0f | %.1f | %.0f%% |%n",
        name,
        r[0] / 1e6,
        batch,
        length,
        perStep,
        tokens / perStep,
        flops / 1e9,
        100 * flops / peak);
  }

  /** Base parameters and the median seconds per step (after one warm-up step). */
  private static double[] steps(String name, Path model, int batch, int length, int steps) {
    try (GgufFile gguf = GgufFile.open(model);
        LlamaNet net =
            LlamaNet.load(gguf, NDManager.newBaseManager(), LoraOptions.DEFAULT, true, 1)) {
      long params = net.config().baseParameters(net.tiedOutput());
      List<NDArray> ps = new ArrayList<>();
      for (LlamaNet.Lora l : net.loras()) {
        ps.add(l.at);
        ps.add(l.bt);
      }
      float[][] values = new float[ps.size()][];
      int[] sizes = new int[ps.size()];
      for (int i = 0; i < ps.size(); i++) {
        values[i] = ps.get(i).toFloatArray();
        sizes[i] = values[i].length;
      }
      AdamW opt = new AdamW(sizes, 0);
      float[][] grads = new float[ps.size()][];
      SplittableRandom random = new SplittableRandom(1);
      List<Example> examples = new ArrayList<>();
      for (int i = 0; i < batch; i++) {
        int[] t = new int[length + 1];
        float[] w = new float[length + 1];
        boolean[] s = new boolean[length + 1];
        for (int j = 0; j <= length; j++) {
          t[j] = random.nextInt(net.config().vocab());
          w[j] = 1;
          s[j] = true;
        }
        examples.add(new Example(t, w, s));
      }
      Batch b = Batch.of(examples);
      Engine engine = Engine.getInstance();
      List<Double> times = new ArrayList<>();
      for (int step = 1; step <= steps + 1; step++) {
        long t0 = System.nanoTime();
        Trainer.gradients(engine, net, b, ps, grads);
        AdamW.clip(grads, 1.0);
        opt.step(values, grads, step, 1e-4);
        for (int i = 0; i < values.length; i++) {
          LlamaNet.assign(ps.get(i), values[i]);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        if (step > 1) { // the first step warms up
          times.add(s);
        }
      }
      times.sort(null);
      return new double[] {params, times.get(times.size() / 2)};
    }
  }

  /** SmolLM2-135M's shape: 30 blocks, 576 wide, 9 heads, 3 KV heads, MLP 1536, 49152 tokens. */
  private static void writeSmolShape(Path target) {
    int e = 576;
    int layers = 30;
    int heads = 9;
    int kv = 3;
    int ff = 1536;
    int vocab = 49152;
    int kvDim = kv * (e / heads);
    SplittableRandom random = new SplittableRandom(135);
    GgufWriter w =
        new GgufWriter()
            .string("general.architecture", "llama")
            .string("general.name", "SmolLM2-135M shape, random weights")
            .u32("llama.context_length", 2048)
            .u32("llama.embedding_length", e)
            .u32("llama.block_count", layers)
            .u32("llama.feed_forward_length", ff)
            .u32("llama.attention.head_count", heads)
            .u32("llama.attention.head_count_kv", kv)
            .u32("llama.rope.dimension_count", e / heads)
            .f32("llama.rope.freq_base", 100000f)
            .f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
    w.f32Tensor("token_embd.weight", new long[] {e, vocab}, random(random, e * vocab, 0.02));
    w.f32Tensor("output_norm.weight", new long[] {e}, ones(e));
    for (int l = 0; l < layers; l++) {
      String p = "blk." + l + ".";
      w.f32Tensor(p + "attn_norm.weight", new long[] {e}, ones(e));
      w.f32Tensor(p + "ffn_norm.weight", new long[] {e}, ones(e));
      w.f32Tensor(p + "attn_q.weight", new long[] {e, e}, random(random, e * e, 0.02));
      w.f32Tensor(p + "attn_k.weight", new long[] {e, kvDim}, random(random, e * kvDim, 0.02));
      w.f32Tensor(p + "attn_v.weight", new long[] {e, kvDim}, random(random, e * kvDim, 0.02));
      w.f32Tensor(p + "attn_output.weight", new long[] {e, e}, random(random, e * e, 0.02));
      w.f32Tensor(p + "ffn_gate.weight", new long[] {e, ff}, random(random, e * ff, 0.02));
      w.f32Tensor(p + "ffn_up.weight", new long[] {e, ff}, random(random, e * ff, 0.02));
      w.f32Tensor(p + "ffn_down.weight", new long[] {ff, e}, random(random, e * ff, 0.02));
    }
    w.write(target);
  }

  private static float[] random(SplittableRandom r, int n, double std) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (r.nextGaussian() * std);
    }
    return v;
  }

  private static float[] ones(int n) {
    float[] v = new float[n];
    java.util.Arrays.fill(v, 1f);
    return v;
  }
}
