package io.parley.safety.infrastructure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.parley.safety.domain.Category;
import io.parley.safety.domain.CategoryRule;
import io.parley.safety.domain.LinearHead;
import io.parley.safety.domain.ModerationModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;

/**
 * The versioned JSON file of a trained classifier: model id, encoder, heads (weights, bias,
 * threshold, how each was trained), the rule of every category and the hashes of the training data.
 * {@code src/main/resources/io/parley/safety/heads-v1.json} is the bundled one.
 */
public final class HeadsFile {

  /** Classpath location of the bundled heads. */
  public static final String BUNDLED = "/io/parley/safety/heads-v1.json";

  /** Format of the file this code reads and writes. */
  public static final int FORMAT = 1;

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private HeadsFile() {}

  /** The bundled classifier. */
  public static ModerationModel bundled() {
    try (var in = HeadsFile.class.getResourceAsStream(BUNDLED)) {
      if (in == null) {
        throw new IllegalStateException("The heads resource " + BUNDLED + " is missing");
      }
      return read(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads a classifier from a heads file. */
  public static ModerationModel read(Path file) {
    try (var in = Files.newInputStream(file)) {
      return read(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Reads a classifier from the JSON of a heads file. */
  public static ModerationModel read(InputStream in) throws IOException {
    var root = JSON.readTree(in);
    if (root.path("format").asInt() != FORMAT) {
      throw new IllegalArgumentException("Unsupported heads format " + root.path("format"));
    }
    var heads = new LinkedHashMap<String, LinearHead>();
    for (var head : root.path("heads")) {
      var weights = new float[head.path("weights").size()];
      for (int i = 0; i < weights.length; i++) {
        weights[i] = (float) head.path("weights").get(i).asDouble();
      }
      var name = head.path("name").asText();
      heads.put(
          name,
          new LinearHead(
              name, weights, head.path("bias").asDouble(), head.path("threshold").asDouble()));
    }
    var rules = new EnumMap<Category, CategoryRule>(Category.class);
    for (var rule : root.path("categories")) {
      var id = rule.path("category").asText();
      var category =
          Category.fromId(id)
              .orElseThrow(() -> new IllegalArgumentException("Unknown category " + id));
      var names = new ArrayList<String>();
      rule.path("heads").forEach(n -> names.add(n.asText()));
      rules.put(category, new CategoryRule(category, names));
    }
    return new ModerationModel(
        root.path("model").asText(),
        root.path("encoder").path("id").asText(),
        root.path("encoder").path("dimensions").asInt(),
        heads,
        rules);
  }

  /** The whole JSON tree of a heads file (for reports). */
  public static JsonNode tree(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A new, empty tree to fill. */
  public static ObjectNode newTree() {
    return JSON.createObjectNode();
  }

  /** Writes a tree as indented JSON. */
  public static void write(ObjectNode tree, Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, JSON.writeValueAsString(tree) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
