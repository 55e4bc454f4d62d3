package io.parley.trainer.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.llama.ChatTurn;
import io.parley.llama.LlamaModel;
import io.parley.trainer.TrainerException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads OpenAI fine-tuning files (JSON Lines) and tokenizes them with llama.cpp, the way serving
 * tokenizes: chat examples ({@code {"messages": [...]}}) are rendered with the model's chat
 * template (ChatML when it has none llama.cpp knows), and the loss covers the assistant messages
 * only (an assistant message with {@code "weight": 0} is not trained); legacy examples ({@code
 * {"prompt": ..., "completion": ...}}) train the completion, and the prompt with {@code
 * prompt_loss_weight}.
 */
public final class Datasets {

  /** Largest training or validation file read. */
  public static final long MAX_FILE_BYTES = 512L * 1024 * 1024;

  /** Largest number of examples in one file. */
  public static final int MAX_EXAMPLES = 1_000_000;

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Whether a file holds chat or legacy prompt/completion examples. */
  public enum Format {
    CHAT,
    COMPLETION
  }

  /** The tokenized examples of one file and how many were cut to the sequence limit. */
  public record Loaded(Format format, List<Example> examples, int truncated) {}

  private Datasets() {}

  public static Loaded load(
      Path file, LlamaModel tokenizer, float promptLossWeight, int maxTokens) {
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        throw new TrainerException(file + " is larger than " + MAX_FILE_BYTES + " bytes");
      }
    } catch (IOException e) {
      throw new TrainerException("cannot read " + file + ": " + e.getMessage(), e);
    }
    List<Example> out = new ArrayList<>();
    Format format = null;
    int truncated = 0;
    int lineNo = 0;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        if (out.size() >= MAX_EXAMPLES) {
          throw new TrainerException(file + " has more than " + MAX_EXAMPLES + " examples");
        }
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (IOException e) {
          throw new TrainerException(file + " line " + lineNo + " is not valid JSON");
        }
        if (node == null || !node.isObject()) {
          throw new TrainerException(file + " line " + lineNo + " is not a JSON object");
        }
        Format f = node.has("messages") ? Format.CHAT : Format.COMPLETION;
        if (format == null) {
          format = f;
        } else if (format != f) {
          throw new TrainerException(
              file + " line " + lineNo + " mixes chat and prompt/completion examples");
        }
        Example e =
            f == Format.CHAT
                ? chat(node, tokenizer, file, lineNo)
                : completion(node, tokenizer, promptLossWeight, file, lineNo);
        if (e.tokens().length > maxTokens) {
          truncated++;
          e = truncate(e, maxTokens);
        }
        boolean anyTrained = false;
        for (int i = 1; i < e.tokens().length; i++) {
          anyTrained |= e.scored()[i];
        }
        if (!anyTrained) {
          throw new TrainerException(
              file
                  + " line "
                  + lineNo
                  + " has nothing to train on (no assistant or completion tokens left)");
        }
        out.add(e);
      }
    } catch (IOException e) {
      throw new TrainerException("cannot read " + file + ": " + e.getMessage(), e);
    }
    if (out.isEmpty()) {
      throw new TrainerException(file + " has no examples");
    }
    return new Loaded(format, List.copyOf(out), truncated);
  }

  private static Example chat(JsonNode node, LlamaModel tok, Path file, int line) {
    JsonNode messages = node.get("messages");
    if (!messages.isArray() || messages.isEmpty()) {
      throw new TrainerException(file + " line " + line + ": messages must be a non-empty array");
    }
    List<ChatTurn> turns = new ArrayList<>();
    List<Boolean> trained = new ArrayList<>();
    for (JsonNode m : messages) {
      String role = m.path("role").asText("");
      JsonNode content = m.get("content");
      if (!List.of("system", "developer", "user", "assistant", "tool").contains(role)
          || content == null
          || !content.isTextual()) {
        throw new TrainerException(
            file + " line " + line + ": each message needs a role and a string content");
      }
      turns.add(new ChatTurn(role, content.asText()));
      JsonNode weight = m.get("weight");
      if (weight != null && !(weight.isInt() && (weight.asInt() == 0 || weight.asInt() == 1))) {
        throw new TrainerException(file + " line " + line + ": weight must be 0 or 1");
      }
      trained.add(role.equals("assistant") && (weight == null || weight.asInt() == 1));
    }
    if (!trained.contains(true)) {
      throw new TrainerException(file + " line " + line + ": no assistant message to train on");
    }
    Builder b = new Builder();
    String done = "";
    for (int i = 0; i < turns.size(); i++) {
      if (!turns.get(i).role().equals("assistant")) {
        continue;
      }
      String prompt = tok.renderChat(turns.subList(0, i), true);
      String full = tok.renderChat(turns.subList(0, i + 1), false);
      String before = prompt.startsWith(done) ? prompt.substring(done.length()) : prompt;
      b.add(tok.tokenize(before, b.isEmpty(), true), 0f, false);
      String answer =
          full.startsWith(prompt) ? full.substring(prompt.length()) : turns.get(i).content();
      boolean train = trained.get(i);
      b.add(tok.tokenize(answer, false, true), train ? 1f : 0f, train);
      done = full;
    }
    return b.build();
  }

  private static Example completion(
      JsonNode node, LlamaModel tok, float promptLossWeight, Path file, int line) {
    JsonNode prompt = node.get("prompt");
    JsonNode completion = node.get("completion");
    if (prompt == null || !prompt.isTextual() || completion == null || !completion.isTextual()) {
      throw new TrainerException(
          file + " line " + line + ": expected string fields prompt and completion (or messages)");
    }
    if (completion.asText().isEmpty()) {
      throw new TrainerException(file + " line " + line + ": completion is empty");
    }
    Builder b = new Builder();
    b.add(tok.tokenize(prompt.asText(), true, false), promptLossWeight, false);
    b.add(tok.tokenize(completion.asText(), false, false), 1f, true);
    return b.build();
  }

  private static Example truncate(Example e, int max) {
    return new Example(
        java.util.Arrays.copyOf(e.tokens(), max),
        java.util.Arrays.copyOf(e.weights(), max),
        java.util.Arrays.copyOf(e.scored(), max));
  }

  private static final class Builder {
    private final List<int[]> parts = new ArrayList<>();
    private final List<Float> weights = new ArrayList<>();
    private final List<Boolean> scored = new ArrayList<>();
    private int length;

    boolean isEmpty() {
      return length == 0;
    }

    void add(int[] tokens, float weight, boolean score) {
      parts.add(tokens);
      weights.add(weight);
      scored.add(score);
      length += tokens.length;
    }

    Example build() {
      int[] t = new int[length];
      float[] w = new float[length];
      boolean[] s = new boolean[length];
      int at = 0;
      for (int i = 0; i < parts.size(); i++) {
        int[] p = parts.get(i);
        System.arraycopy(p, 0, t, at, p.length);
        java.util.Arrays.fill(w, at, at + p.length, weights.get(i));
        java.util.Arrays.fill(s, at, at + p.length, scored.get(i));
        at += p.length;
      }
      return new Example(t, w, s);
    }
  }
}
