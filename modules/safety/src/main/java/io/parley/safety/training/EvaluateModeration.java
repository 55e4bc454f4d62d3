package io.parley.safety.training;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.safety.application.ModerateUseCase;
import io.parley.safety.domain.Category;
import io.parley.safety.domain.ModerationResult;
import io.parley.safety.infrastructure.HeadsFile;
import io.parley.safety.infrastructure.OnnxSentenceEncoder;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scores the held-out OpenAI moderation samples with a heads file and reports, per category,
 * precision and recall of the flags and the AUC of the scores, over the samples whose label for
 * that category is known. The table replaces the one between the evaluation markers of the report
 * file (docs/moderation.md) and is printed.
 *
 * <p>Run: {@code ./mvnw -pl modules/safety -Pevaluate-moderation compile exec:java}.
 */
public final class EvaluateModeration {

  /** OpenAI's label of each category in the samples; the others have none. */
  static final Map<String, Category> LABELS = new LinkedHashMap<>();

  static {
    LABELS.put("S", Category.SEXUAL);
    LABELS.put("H", Category.HATE);
    LABELS.put("V", Category.VIOLENCE);
    LABELS.put("HR", Category.HARASSMENT);
    LABELS.put("SH", Category.SELF_HARM);
    LABELS.put("S3", Category.SEXUAL_MINORS);
    LABELS.put("H2", Category.HATE_THREATENING);
    LABELS.put("V2", Category.VIOLENCE_GRAPHIC);
  }

  private static final String BEGIN = "<!-- evaluation:begin -->";
  private static final String END = "<!-- evaluation:end -->";

  private static final List<String> SHORT =
      List.of(
          "Thanks for the quick reply, see you tomorrow.",
          "You are such an idiot, nobody wants you here.",
          "What time does the library open on Sundays?",
          "I can't stand my neighbours, they are so loud.",
          "Please send me the report before the meeting.",
          "That movie was absolutely terrible and boring.",
          "How do I reset my password?",
          "Get lost, you pathetic loser.");

  private EvaluateModeration() {}

  /** Moderation requests per second in process (one short input each), 1 and 4 callers. */
  private static String throughput(ModerateUseCase moderate) {
    for (int i = 0; i < 200; i++) { // warm-up
      moderate.moderate("", List.of(SHORT.get(i % SHORT.size()))).join();
    }
    var lines = new StringBuilder();
    for (int callers : new int[] {1, 4}) {
      int requests = 2000;
      var next = new AtomicInteger();
      long start = System.nanoTime();
      try (var pool = Executors.newFixedThreadPool(callers)) {
        for (int c = 0; c < callers; c++) {
          pool.submit(
              () -> {
                for (int i = next.getAndIncrement(); i < requests; i = next.getAndIncrement()) {
                  moderate.moderate("", List.of(SHORT.get(i % SHORT.size()))).join();
                }
              });
        }
      }
      double rate = requests / ((System.nanoTime() - start) / 1e9);
      lines.append(
          String.format(
              Locale.ROOT,
              "Throughput in process (ModerateUseCase, one short input per request, encoder one"
                  + " window per run, %d processors): %d caller%s: %.0f requests/s.%n",
              Runtime.getRuntime().availableProcessors(),
              callers,
              callers == 1 ? "" : "s",
              rate));
    }
    return lines.toString();
  }

  public static void main(String[] argv) throws IOException {
    var args = new Args(argv);
    var datasets = new Datasets(args.path("datasets"));
    var headsFile = args.path("heads");
    var report = args.path("report");
    var model = HeadsFile.read(headsFile);
    var kinds = new LinkedHashMap<String, String>();
    HeadsFile.tree(headsFile)
        .path("heads")
        .forEach(h -> kinds.put(h.path("name").asText(), h.path("kind").asText()));

    var json = new ObjectMapper();
    var samples = new ArrayList<Map<String, Integer>>();
    var results = new ArrayList<ModerationResult>();
    long start = System.nanoTime();
    int windows = 0;
    double seconds;
    String throughput;
    try (var encoder = OnnxSentenceEncoder.unbatched(0);
        var reader = new BufferedReader(datasets.openAiSamples())) {
      String line;
      while ((line = reader.readLine()) != null) {
        var row = json.readTree(line);
        var labels = new LinkedHashMap<String, Integer>();
        for (var label : LABELS.keySet()) {
          if (row.has(label)) {
            labels.put(label, row.get(label).asInt());
          }
        }
        var vectors = encoder.encode(List.of(row.path("prompt").asText())).join().getFirst();
        windows += vectors.size();
        samples.add(labels);
        results.add(model.classify(vectors));
      }
      seconds = (System.nanoTime() - start) / 1e9;
      throughput = throughput(new ModerateUseCase(model, encoder, 256, 32768));
    }

    var table = new StringBuilder();
    table.append(
        String.format(
            Locale.ROOT,
            "Model `%s` (heads file sha256 `%s`) on `%s`: %d samples (%d windows), classified"
                + " one window per ONNX run in %.0f s on this machine.%n%n",
            model.id(),
            Datasets.sha256Of(headsFile).substring(0, 12),
            Datasets.OPENAI_SAMPLES,
            samples.size(),
            windows,
            seconds));
    table.append(
        "| category | label | scored by | known | positive | flagged | precision | recall | AUC"
            + " |\n");
    table.append("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (var entry : LABELS.entrySet()) {
      var category = entry.getValue();
      var rule = model.rules().get(category);
      var scoredBy =
          String.join(
              " ∧ ", rule.heads().stream().map(h -> h + " (" + kinds.get(h) + ")").toList());
      var scores = new ArrayList<Double>();
      var truth = new ArrayList<Boolean>();
      int flagged = 0;
      int tp = 0;
      for (int i = 0; i < samples.size(); i++) {
        var label = samples.get(i).get(entry.getKey());
        if (label == null) {
          continue;
        }
        boolean positive = label == 1;
        boolean flag = results.get(i).categories().get(category);
        scores.add(results.get(i).scores().get(category));
        truth.add(positive);
        flagged += flag ? 1 : 0;
        tp += flag && positive ? 1 : 0;
      }
      int positives = (int) truth.stream().filter(b -> b).count();
      var s = scores.stream().mapToDouble(Double::doubleValue).toArray();
      var y = new boolean[truth.size()];
      for (int i = 0; i < y.length; i++) {
        y[i] = truth.get(i);
      }
      table.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %s | %d | %d | %d | %s | %s | %.3f |%n",
              category.id(),
              entry.getKey(),
              scoredBy,
              y.length,
              positives,
              flagged,
              flagged == 0 ? "–" : String.format(Locale.ROOT, "%.3f", (double) tp / flagged),
              String.format(Locale.ROOT, "%.3f", (double) tp / positives),
              Metrics.auc(s, y)));
    }
    table.append("\n").append(throughput);
    var text = table.toString();
    System.out.println(text);
    if (Files.exists(report)) {
      var doc = Files.readString(report);
      int begin = doc.indexOf(BEGIN);
      int end = doc.indexOf(END);
      if (begin >= 0 && end > begin) {
        Files.writeString(
            report, doc.substring(0, begin + BEGIN.length()) + "\n" + text + doc.substring(end));
        System.out.println("Updated " + report);
      }
    }
  }
}
