package io.parley.safety.training;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;

/**
 * Reads the labelled datasets of {@code ../shared/datasets} (see its README and the licence beside
 * each file) into examples per head. Tweets are cleaned the same way for every source: HTML
 * entities decoded, a leading retweet marker dropped, mentions written {@code @user} and links
 * {@code URL}.
 */
public final class Datasets {

  /** surge-ai/toxicity (MIT): 1,000 English comments, Toxic / Not Toxic. */
  public static final String SURGE = "surge-toxicity_en.csv";

  /** t-davidson/hate-speech-and-offensive-language (MIT): tweets, hate / offensive / neither. */
  public static final String DAVIDSON = "davidson-labeled_data.csv";

  /** openai/moderation-api-release (MIT): the held-out evaluation set, never trained on. */
  public static final String OPENAI_SAMPLES = "openai-moderation-samples-1680.jsonl.gz";

  private static final Pattern RETWEET = Pattern.compile("^(\\s*!*\\s*RT\\s+@\\w+:?\\s*)+");
  private static final Pattern MENTION = Pattern.compile("@\\w+");
  private static final Pattern LINK = Pattern.compile("(https?://\\S+|@URL\\b)");
  private static final Pattern ENTITY = Pattern.compile("&(#\\d+|#x[0-9a-fA-F]+|amp|lt|gt|quot);");
  private static final Pattern ESCAPED = Pattern.compile("\\\\u([0-9a-fA-F]{4})");

  private final Path directory;

  /**
   * @param directory the folder holding the dataset files
   */
  public Datasets(Path directory) {
    this.directory = directory;
  }

  /** The path of a dataset file. */
  public Path file(String name) {
    return directory.resolve(name);
  }

  /** The SHA-256 of a dataset file, hex. */
  public String sha256(String name) {
    return sha256Of(file(name));
  }

  /** The SHA-256 of a file, hex. */
  public static String sha256Of(Path file) {
    try {
      var digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(Files.readAllBytes(file)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** surge: toxic comments (positive) and the others. */
  public List<Example> surgeToxic() {
    var examples = new ArrayList<Example>();
    for (var row : csv(file(SURGE))) {
      examples.add(
          new Example(clean(row.get("text")), "surge", row.get("is_toxic").equals("Toxic")));
    }
    return examples;
  }

  /**
   * davidson by majority class: {@code hate} keeps class 0 (hate speech) against the rest; {@code
   * abusive} keeps classes 0 and 1 (hate or offensive) against 2 (neither).
   */
  public List<Example> davidson(boolean hateOnly) {
    var examples = new ArrayList<Example>();
    for (var row : csv(file(DAVIDSON))) {
      int label = Integer.parseInt(row.get("class"));
      boolean positive = hateOnly ? label == 0 : label != 2;
      examples.add(new Example(clean(row.get("tweet")), "davidson", positive));
    }
    return examples;
  }

  /** The held-out evaluation set's reader. */
  public Reader openAiSamples() throws IOException {
    InputStream in = new GZIPInputStream(Files.newInputStream(file(OPENAI_SAMPLES)));
    return new InputStreamReader(in, StandardCharsets.UTF_8);
  }

  /** Cleans a tweet or comment: entities, retweet marker, mentions, links, escapes. */
  public static String clean(String text) {
    var s = unescape(text);
    s = RETWEET.matcher(s).replaceFirst("");
    s = LINK.matcher(s).replaceAll("URL");
    s = MENTION.matcher(s).replaceAll("@user");
    s = s.replace("\\n", "\n").strip();
    return s;
  }

  private static String unescape(String text) {
    var s = ESCAPED.matcher(text).replaceAll(m -> quote(Character.toString(hex(m.group(1)))));
    for (int i = 0; i < 2; i++) { // davidson has entities escaped twice ("&amp;#8220;")
      s =
          ENTITY
              .matcher(s)
              .replaceAll(
                  m ->
                      quote(
                          switch (m.group(1)) {
                            case "amp" -> "&";
                            case "lt" -> "<";
                            case "gt" -> ">";
                            case "quot" -> "\"";
                            default ->
                                m.group(1).startsWith("#x")
                                    ? Character.toString(hex(m.group(1).substring(2)))
                                    : Character.toString(Integer.parseInt(m.group(1).substring(1)));
                          }));
    }
    return s;
  }

  private static int hex(String digits) {
    return Integer.parseInt(digits, 16);
  }

  private static String quote(String s) {
    return Matcher.quoteReplacement(s);
  }

  private static List<CSVRecord> csv(Path file) {
    var format =
        CSVFormat.RFC4180
            .builder()
            .setHeader()
            .setSkipHeaderRecord(true)
            .setAllowMissingColumnNames(true)
            .get();
    try (var reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        var parser = format.parse(reader)) {
      return parser.getRecords();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot read " + file, e);
    }
  }
}
