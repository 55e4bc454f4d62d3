package io.parley.trainer.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.llama.LlamaLibrary;
import io.parley.llama.LlamaModel;
import io.parley.trainer.TrainerException;
import io.parley.trainer.data.Datasets;
import io.parley.trainer.data.Example;
import io.parley.trainer.gguf.GgufFile;
import io.parley.trainer.lora.LoraAdapterFile;
import io.parley.trainer.model.LlamaNet;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * One LoRA fine-tuning run: reads the base model and the files, trains, and writes into the output
 * directory {@code adapter.gguf} (the result), {@code metrics.jsonl} (one JSON object per step),
 * {@code results.csv} (OpenAI's result-file columns), {@code summary.json} and, after each epoch,
 * {@code checkpoints/epoch-N/} ({@code adapter.gguf} and {@code state.bin}) from which a run
 * resumes exactly.
 */
public final class Trainer {

  /**
   * What a run needs. {@code resumeFrom} is a {@code checkpoints/epoch-N} directory; {@code
   * threads} is PyTorch's thread count, 0 for automatic (one thread for models under 30 million
   * parameters, where more threads cost more in synchronisation than they gain, else one per core).
   * PyTorch reads it once per process, when it starts.
   */
  public record Request(
      Path model,
      Path trainingFile,
      Optional<Path> validationFile,
      Path outputDir,
      Hyperparameters hyperparameters,
      Optional<Path> resumeFrom,
      Optional<Path> llamaLibrary,
      int threads) {}

  /** How a run ended. */
  public enum Status {
    SUCCEEDED,
    CANCELLED
  }

  /** The outcome of a run. */
  public record Outcome(
      Status status,
      Hyperparameters.Resolved resolved,
      int steps,
      long trainedTokens,
      List<StepMetrics> metrics,
      Path adapter) {}

  /** Called after each step (for progress and tests). */
  public interface Listener {
    void onStep(StepMetrics metrics, int totalSteps);
  }

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final System.Logger LOG = System.getLogger(Trainer.class.getName());
  public static final String ADAPTER = "adapter.gguf";
  public static final String METRICS = "metrics.jsonl";
  public static final String RESULTS = "results.csv";
  public static final String SUMMARY = "summary.json";

  private final Request request;
  private final BooleanSupplier cancelled;
  private final Listener listener;

  public Trainer(Request request, BooleanSupplier cancelled, Listener listener) {
    this.request = request;
    this.cancelled = cancelled;
    this.listener = listener;
  }

  public Outcome run() {
    Hyperparameters hp = request.hyperparameters();
    LlamaLibrary lib = LlamaLibrary.load(request.llamaLibrary());
    Datasets.Loaded train;
    Optional<Datasets.Loaded> valid;
    try (LlamaModel tokenizer = LlamaModel.load(lib, request.model(), 0, 0, 0, 0)) {
      int maxTokens = Math.min(hp.maxTokens(), tokenizer.nCtxTrain);
      train = Datasets.load(request.trainingFile(), tokenizer, hp.promptLossWeight(), maxTokens);
      valid =
          request
              .validationFile()
              .map(f -> Datasets.load(f, tokenizer, hp.promptLossWeight(), maxTokens));
    }
    Hyperparameters.Resolved resolved = hp.resolve(train.examples().size());
    String fingerprint = fingerprint(hp, resolved);
    try (GgufFile gguf = GgufFile.open(request.model())) {
      configureThreads(gguf);
    }
    try (GgufFile gguf = GgufFile.open(request.model());
        LlamaNet net =
            LlamaNet.load(gguf, NDManager.newBaseManager(), hp.lora(), true, hp.seed())) {
      return train(
          net, train.examples(), valid.map(Datasets.Loaded::examples), resolved, fingerprint);
    }
  }

  private void configureThreads(GgufFile gguf) {
    if (System.getProperty(THREADS_PROPERTY) != null) {
      return;
    }
    int threads = request.threads();
    if (threads <= 0) {
      var config = io.parley.trainer.model.ModelConfig.of(gguf);
      threads =
          config.baseParameters(gguf.tensor("output.weight").isEmpty()) < 30_000_000
              ? 1
              : Runtime.getRuntime().availableProcessors();
    }
    System.setProperty(THREADS_PROPERTY, Integer.toString(threads));
    System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
  }

  /** DJL's PyTorch thread-count property. */
  public static final String THREADS_PROPERTY = "ai.djl.pytorch.num_threads";

  private Outcome train(
      LlamaNet net,
      List<Example> examples,
      Optional<List<Example>> valid,
      Hyperparameters.Resolved resolved,
      String fingerprint) {
    Hyperparameters hp = request.hyperparameters();
    Path out = request.outputDir();
    List<NDArray> params = new ArrayList<>();
    for (LlamaNet.Lora l : net.loras()) {
      params.add(l.at);
      params.add(l.bt);
    }
    int[] sizes = params.stream().mapToInt(p -> (int) p.size()).toArray();
    float[][] values = new float[params.size()][];
    for (int i = 0; i < values.length; i++) {
      values[i] = params.get(i).toFloatArray();
    }
    AdamW optimizer = new AdamW(sizes, hp.weightDecay());
    int n = examples.size();
    int stepsPerEpoch = (n + resolved.batchSize() - 1) / resolved.batchSize();
    int totalSteps = stepsPerEpoch * resolved.epochs();
    int warmup = (int) Math.ceil(hp.warmupRatio() * totalSteps);
    int startEpoch = 0;
    int step = 0;
    long tokens = 0;
    List<StepMetrics> history = new ArrayList<>();
    try {
      Files.createDirectories(out);
    } catch (IOException e) {
      throw new TrainerException("cannot create " + out + ": " + e.getMessage(), e);
    }
    if (request.resumeFrom().isPresent()) {
      Checkpoint c = Checkpoint.read(request.resumeFrom().get(), sizes);
      if (!c.fingerprint().equals(fingerprint)) {
        throw new TrainerException(
            "checkpoint "
                + request.resumeFrom().get()
                + " belongs to another run (different model, data or hyperparameters)");
      }
      startEpoch = c.epochsDone();
      step = c.step();
      tokens = c.tokens();
      for (int i = 0; i < values.length; i++) {
        values[i] = c.params()[i];
        LlamaNet.assign(params.get(i), values[i]);
        System.arraycopy(c.m()[i], 0, optimizer.firstMoments()[i], 0, sizes[i]);
        System.arraycopy(c.v()[i], 0, optimizer.secondMoments()[i], 0, sizes[i]);
      }
      history.addAll(readMetrics(out.resolve(METRICS), step));
    }
    writeMetrics(out.resolve(METRICS), history, false);
    long started = System.nanoTime();
    double elapsedBefore = history.isEmpty() ? 0 : history.getLast().elapsedSeconds();
    Engine engine = Engine.getInstance();
    Status status = Status.SUCCEEDED;
    float[][] grads = new float[params.size()][];
    training:
    for (int epoch = startEpoch; epoch < resolved.epochs(); epoch++) {
      int[] order = permutation(n, hp.seed(), epoch);
      for (int s = 0; s < stepsPerEpoch; s++) {
        if (cancelled.getAsBoolean()) {
          status = Status.CANCELLED;
          break training;
        }
        List<Example> chunk = new ArrayList<>();
        for (int i = s * resolved.batchSize();
            i < Math.min(n, (s + 1) * resolved.batchSize());
            i++) {
          chunk.add(examples.get(order[i]));
        }
        Batch batch = Batch.of(chunk);
        step++;
        double lr = learningRate(step, totalSteps, warmup, resolved.peakLearningRate());
        Batch.Result result = gradients(engine, net, batch, params, grads);
        if (!finite(result, grads)) {
          // computed once more before giving up: rarely (about once in a few hundred steps here), a
          // step on CPU comes back non-finite although the same step is finite when repeated
          LOG.log(System.Logger.Level.WARNING, "step {0} was not finite; computing it again", step);
          result = gradients(engine, net, batch, params, grads);
          if (!finite(result, grads)) {
            throw new TrainerException(
                "the loss or its gradients are not finite at step "
                    + step
                    + " ("
                    + result.lossValue()
                    + ")");
          }
        }
        AdamW.clip(grads, hp.maxGradNorm());
        optimizer.step(values, grads, step, lr);
        for (int i = 0; i < values.length; i++) {
          LlamaNet.assign(params.get(i), values[i]);
        }
        tokens += result.tokens();
        Double vLoss = null;
        Double vAcc = null;
        boolean endOfEpoch = s == stepsPerEpoch - 1;
        if (endOfEpoch && valid.isPresent()) {
          double[] v = evaluate(net, valid.get(), resolved.batchSize());
          vLoss = v[0];
          vAcc = v[1];
        }
        StepMetrics m =
            new StepMetrics(
                step,
                epoch + 1,
                result.lossValue(),
                result.accuracy(),
                vLoss,
                vAcc,
                lr,
                result.tokens(),
                elapsedBefore + (System.nanoTime() - started) / 1e9);
        history.add(m);
        writeMetrics(out.resolve(METRICS), List.of(m), true);
        if (listener != null) {
          listener.onStep(m, totalSteps);
        }
        if (endOfEpoch) {
          Path dir = out.resolve("checkpoints").resolve("epoch-" + (epoch + 1));
          LoraAdapterFile.write(
              dir.resolve(ADAPTER),
              net.config().architecture(),
              hp.lora().alpha(),
              LoraAdapterFile.pairs(net));
          new Checkpoint(
                  fingerprint,
                  epoch + 1,
                  step,
                  tokens,
                  values,
                  optimizer.firstMoments(),
                  optimizer.secondMoments())
              .write(dir);
        }
      }
    }
    Path adapter = out.resolve(ADAPTER);
    LoraAdapterFile.write(
        adapter, net.config().architecture(), hp.lora().alpha(), LoraAdapterFile.pairs(net));
    writeResults(out.resolve(RESULTS), history);
    writeSummary(out.resolve(SUMMARY), status, resolved, step, tokens, examples.size());
    return new Outcome(status, resolved, step, tokens, List.copyOf(history), adapter);
  }

  /**
   * One forward and backward pass: the batch's loss and accuracy, with the gradients of {@code
   * params} copied into {@code grads} (and cleared on the parameters).
   */
  public static Batch.Result gradients(
      Engine engine, LlamaNet net, Batch batch, List<NDArray> params, float[][] grads) {
    try (NDManager sub = NDManager.newBaseManager()) {
      Batch.Result result;
      try (GradientCollector gc = engine.newGradientCollector()) {
        result = batch.run(net, sub);
        gc.backward(result.loss());
      }
      for (int i = 0; i < grads.length; i++) {
        try (NDArray g = params.get(i).getGradient()) {
          grads[i] = g.toFloatArray();
          // an assignment, not g * 0, so that a non-finite value cannot survive into the next step
          g.set(new NDIndex("..."), 0f);
        }
      }
      return result;
    }
  }

  private static boolean finite(Batch.Result result, float[][] grads) {
    if (!Double.isFinite(result.lossValue())) {
      return false;
    }
    for (float[] g : grads) {
      for (float x : g) {
        if (!Float.isFinite(x)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Mean loss (weighted as in training) and mean token accuracy over a file, without gradients. */
  static double[] evaluate(LlamaNet net, List<Example> examples, int batchSize) {
    double lossSum = 0;
    double weightSum = 0;
    double hits = 0;
    double scored = 0;
    for (int i = 0; i < examples.size(); i += batchSize) {
      Batch batch = Batch.of(examples.subList(i, Math.min(examples.size(), i + batchSize)));
      double w = 0;
      for (float[] row : batch.weights()) {
        for (float x : row) {
          w += x;
        }
      }
      try (NDManager sub = NDManager.newBaseManager()) {
        Batch.Result r = batch.run(net, sub);
        lossSum += r.lossValue() * w;
        weightSum += w;
        hits += r.accuracy() * r.tokens();
        scored += r.tokens();
      }
    }
    return new double[] {lossSum / Math.max(weightSum, 1e-8), scored > 0 ? hits / scored : 0};
  }

  /** Linear warm-up to the peak over {@code warmup} steps, then linear decay towards zero. */
  static double learningRate(int step, int total, int warmup, double peak) {
    if (step <= warmup) {
      return peak * step / warmup;
    }
    return peak * (total - step + 1) / (double) (total - warmup);
  }

  /** The example order of an epoch: a seeded shuffle, the same for the same seed and epoch. */
  static int[] permutation(int n, long seed, int epoch) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    SplittableRandom random = new SplittableRandom(seed * 1_000_003L + epoch);
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  private String fingerprint(Hyperparameters hp, Hyperparameters.Resolved resolved) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(
          (hp + "|" + resolved + "|" + Files.size(request.model()))
              .getBytes(StandardCharsets.UTF_8));
      List<Path> files = new ArrayList<>(List.of(request.trainingFile()));
      request.validationFile().ifPresent(files::add);
      for (Path f : files) {
        try (InputStream in = new DigestInputStream(Files.newInputStream(f), digest)) {
          in.transferTo(java.io.OutputStream.nullOutputStream());
        }
      }
      return HexFormat.of().formatHex(digest.digest());
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new TrainerException("cannot fingerprint the run: " + e.getMessage(), e);
    }
  }

  private static void writeMetrics(Path file, List<StepMetrics> metrics, boolean append) {
    try (BufferedWriter w =
        Files.newBufferedWriter(
            file,
            StandardCharsets.UTF_8,
            StandardOpenOption.CREATE,
            StandardOpenOption.WRITE,
            append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
      for (StepMetrics m : metrics) {
        ObjectNode o = JSON.createObjectNode();
        o.put("step", m.step());
        o.put("epoch", m.epoch());
        o.put("train_loss", m.trainLoss());
        o.put("train_mean_token_accuracy", m.trainMeanTokenAccuracy());
        if (m.validLoss() != null) {
          o.put("valid_loss", m.validLoss());
          o.put("valid_mean_token_accuracy", m.validMeanTokenAccuracy());
        } else {
          o.putNull("valid_loss");
          o.putNull("valid_mean_token_accuracy");
        }
        o.put("learning_rate", m.learningRate());
        o.put("tokens", m.tokens());
        o.put("elapsed_s", m.elapsedSeconds());
        w.write(JSON.writeValueAsString(o));
        w.newLine();
      }
    } catch (IOException e) {
      throw new TrainerException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private static List<StepMetrics> readMetrics(Path file, int upToStep) {
    List<StepMetrics> out = new ArrayList<>();
    if (!Files.isRegularFile(file)) {
      return out;
    }
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (line.isBlank()) {
          continue;
        }
        var o = JSON.readTree(line);
        int step = o.path("step").asInt();
        if (step > upToStep) {
          break;
        }
        out.add(
            new StepMetrics(
                step,
                o.path("epoch").asInt(),
                o.path("train_loss").asDouble(),
                o.path("train_mean_token_accuracy").asDouble(),
                o.path("valid_loss").isNull() ? null : o.path("valid_loss").asDouble(),
                o.path("valid_mean_token_accuracy").isNull()
                    ? null
                    : o.path("valid_mean_token_accuracy").asDouble(),
                o.path("learning_rate").asDouble(),
                o.path("tokens").asLong(),
                o.path("elapsed_s").asDouble()));
      }
    } catch (IOException e) {
      throw new TrainerException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  /**
   * OpenAI's result file: {@code
   * step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy}.
   */
  private static void writeResults(Path file, List<StepMetrics> metrics) {
    StringBuilder sb =
        new StringBuilder("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\n");
    for (StepMetrics m : metrics) {
      sb.append(m.step())
          .append(',')
          .append(m.trainLoss())
          .append(',')
          .append(m.trainMeanTokenAccuracy())
          .append(',')
          .append(m.validLoss() == null ? "" : m.validLoss().toString())
          .append(',')
          .append(m.validMeanTokenAccuracy() == null ? "" : m.validMeanTokenAccuracy().toString())
          .append('\n');
    }
    try {
      Files.writeString(file, sb, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new TrainerException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  private static void writeSummary(
      Path file, Status status, Hyperparameters.Resolved r, int steps, long tokens, int examples) {
    ObjectNode o = JSON.createObjectNode();
    o.put("status", status.name().toLowerCase(java.util.Locale.ROOT));
    o.put("trained_tokens", tokens);
    o.put("steps", steps);
    o.put("training_examples", examples);
    ObjectNode h = o.putObject("hyperparameters");
    h.put("n_epochs", r.epochs());
    h.put("batch_size", r.batchSize());
    h.put("learning_rate_multiplier", r.learningRateMultiplier());
    try {
      Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o));
    } catch (IOException e) {
      throw new TrainerException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Prints one line per step for people watching a terminal. */
  public static Listener progress(PrintStream out) {
    return (m, total) -> {
      double eta = m.step() > 0 ? m.elapsedSeconds() / m.step() * (total - m.step()) : 0;
      out.printf(
          java.util.Locale.ROOT,
          "epoch %d  step %d/%d  loss %.4f  acc %.3f%s  lr %.2e  %.1fs  eta %.0fs%n",
          m.epoch(),
          m.step(),
          total,
          m.trainLoss(),
          m.trainMeanTokenAccuracy(),
          m.validLoss() == null
              ? ""
              : String.format(
                  java.util.Locale.ROOT,
                  "  valid %.4f/%.3f",
                  m.validLoss(),
                  m.validMeanTokenAccuracy()),
          m.learningRate(),
          m.elapsedSeconds(),
          eta);
    };
  }
}
