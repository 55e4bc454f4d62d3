package io.parley.files.application;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;

/**
 * Checks a {@code fine-tune} file as its bytes arrive, line by line, the way OpenAI checks training
 * data: JSON Lines in UTF-8; every example either in the chat format ({@code messages}: objects
 * with a known {@code role} and string {@code content}, at least one {@code assistant} message, an
 * optional {@code weight} of 0 or 1 on assistant messages) or in the legacy format ({@code prompt}
 * and {@code completion} strings), never both in one file; at least a minimum number of examples.
 * Blank lines are skipped. Only one line is held at a time, bounded by a maximum length. The first
 * problem found is kept ({@code Line 4: "messages" is not an array}); later bytes are not checked.
 */
public final class FineTuneValidator {

  /** Roles a chat message may have. */
  static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant", "tool");

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private enum Format {
    CHAT,
    LEGACY
  }

  private final int maxLineBytes;
  private final int minExamples;
  private byte[] line = new byte[8192];
  private int length;
  private long lineNumber = 1;
  private long examples;
  private Format format;
  private long formatLine;
  private String error;

  /**
   * @param maxLineBytes longest line accepted
   * @param minExamples fewest examples accepted
   */
  public FineTuneValidator(int maxLineBytes, int minExamples) {
    this.maxLineBytes = maxLineBytes;
    this.minExamples = minExamples;
  }

  /** Checks the next bytes of the file. */
  public void accept(byte[] bytes, int offset, int count) {
    int end = offset + count;
    for (int i = offset; i < end && error == null; ) {
      int newline = indexOf(bytes, i, end);
      int stop = newline < 0 ? end : newline;
      append(bytes, i, stop - i);
      if (error != null) {
        return;
      }
      if (newline < 0) {
        return;
      }
      endLine();
      i = newline + 1;
    }
  }

  /** The first problem of the whole file, once every byte was accepted. */
  public Optional<String> finish() {
    if (error == null && length > 0) {
      endLine();
    }
    if (error == null && examples < minExamples) {
      error =
          "The training file has "
              + examples
              + (examples == 1 ? " example" : " examples")
              + "; at least "
              + minExamples
              + " are required.";
    }
    return Optional.ofNullable(error);
  }

  private static int indexOf(byte[] bytes, int from, int to) {
    for (int i = from; i < to; i++) {
      if (bytes[i] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private void append(byte[] bytes, int offset, int count) {
    if (length + count > maxLineBytes) {
      error = "Line " + lineNumber + ": longer than the " + maxLineBytes + " bytes allowed.";
      return;
    }
    if (length + count > line.length) {
      line = Arrays.copyOf(line, Math.min(maxLineBytes, Math.max(line.length * 2, length + count)));
    }
    System.arraycopy(bytes, offset, line, length, count);
    length += count;
  }

  private void endLine() {
    int end = length;
    if (end > 0 && line[end - 1] == '\r') {
      end--;
    }
    int start = lineNumber == 1 && startsWithBom() ? 3 : 0;
    check(start, end);
    length = 0;
    lineNumber++;
  }

  private boolean startsWithBom() {
    return length >= 3
        && line[0] == (byte) 0xEF
        && line[1] == (byte) 0xBB
        && line[2] == (byte) 0xBF;
  }

  private void check(int start, int end) {
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(line, start, end - start))
              .toString();
    } catch (CharacterCodingException e) {
      error = at("is not valid UTF-8.");
      return;
    }
    if (text.isBlank()) {
      return;
    }
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (JsonProcessingException e) {
      error = at("is not valid JSON.");
      return;
    }
    if (!(node instanceof ObjectNode example)) {
      error = at("is not a JSON object.");
      return;
    }
    boolean chat = example.has("messages");
    boolean legacy = example.has("prompt") || example.has("completion");
    if (chat && legacy) {
      error =
          at("mixes \"messages\" (chat format) with \"prompt\"/\"completion\" (legacy format).");
      return;
    }
    if (!chat && !legacy) {
      error =
          at(
              "has neither \"messages\" (chat format) nor \"prompt\" and \"completion\" (legacy"
                  + " format).");
      return;
    }
    var lineFormat = chat ? Format.CHAT : Format.LEGACY;
    if (format == null) {
      format = lineFormat;
      formatLine = lineNumber;
    } else if (format != lineFormat) {
      error =
          at(
              "is in the "
                  + name(lineFormat)
                  + " format but line "
                  + formatLine
                  + " is in the "
                  + name(format)
                  + " format; one file uses one format.");
      return;
    }
    error = chat ? checkChat(example) : checkLegacy(example);
    if (error == null) {
      examples++;
    }
  }

  private static String name(Format f) {
    return f == Format.CHAT ? "chat" : "legacy";
  }

  private String checkLegacy(ObjectNode example) {
    for (var key : new String[] {"prompt", "completion"}) {
      var value = example.get(key);
      if (value == null) {
        return at("is missing \"" + key + "\".");
      }
      if (!value.isTextual()) {
        return at("\"" + key + "\" is not a string.");
      }
    }
    return null;
  }

  private String checkChat(ObjectNode example) {
    var messages = example.get("messages");
    if (!messages.isArray()) {
      return at("\"messages\" is not an array.");
    }
    if (messages.isEmpty()) {
      return at("\"messages\" is empty.");
    }
    boolean assistant = false;
    for (int i = 0; i < messages.size(); i++) {
      var key = "messages[" + i + "]";
      if (!(messages.get(i) instanceof ObjectNode message)) {
        return at("\"" + key + "\" is not an object.");
      }
      var role = message.get("role");
      if (role == null) {
        return at("\"" + key + ".role\" is missing.");
      }
      if (!role.isTextual()) {
        return at("\"" + key + ".role\" is not a string.");
      }
      if (!ROLES.contains(role.asText())) {
        return at(
            "\""
                + key
                + ".role\" is \""
                + abbreviate(role.asText())
                + "\"; expected one of system, developer, user, assistant, tool.");
      }
      boolean isAssistant = role.asText().equals("assistant");
      assistant |= isAssistant;
      var content = message.get("content");
      boolean toolCall = isAssistant && (message.has("tool_calls") || message.has("function_call"));
      if (content == null || content.isNull()) {
        if (!toolCall) {
          return at("\"" + key + ".content\" is missing.");
        }
      } else if (!content.isTextual()) {
        return at("\"" + key + ".content\" is not a string.");
      }
      var weight = message.get("weight");
      if (weight != null) {
        if (!isAssistant) {
          return at("\"" + key + ".weight\" is only allowed on assistant messages.");
        }
        if (!weight.isIntegralNumber() || (weight.asLong() != 0 && weight.asLong() != 1)) {
          return at("\"" + key + ".weight\" must be 0 or 1.");
        }
      }
    }
    if (!assistant) {
      return at("\"messages\" has no message with role \"assistant\".");
    }
    return null;
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "…";
  }

  private String at(String what) {
    return "Line " + lineNumber + ": " + what;
  }
}
