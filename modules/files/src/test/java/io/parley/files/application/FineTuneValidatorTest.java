package io.parley.files.application;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every rule of the fine-tune validator, with the line number in each message. */
class FineTuneValidatorTest {

  static final String CHAT =
      "{\"messages\":[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":\"hi\"},"
          + "{\"role\":\"assistant\",\"content\":\"hello\",\"weight\":1}]}";
  static final String LEGACY = "{\"prompt\":\"p\",\"completion\":\"c\"}";

  static List<String> valid(String line) {
    return new ArrayList<>(Collections.nCopies(10, line));
  }

  static Optional<String> check(List<String> lines) {
    return check(String.join("\n", lines).getBytes(StandardCharsets.UTF_8), 1 << 20, 7);
  }

  static Optional<String> check(byte[] bytes, int maxLine, int chunk) {
    var v = new FineTuneValidator(maxLine, 10);
    for (int i = 0; i < bytes.length; i += chunk) {
      v.accept(bytes, i, Math.min(chunk, bytes.length - i));
    }
    return v.finish();
  }

  static Optional<String> withLine4(String line) {
    var lines = valid(CHAT);
    lines.set(3, line);
    return check(lines);
  }

  @Test
  void chatFile_withTenExamples_isValid() {
    assertThat(check(valid(CHAT))).isEmpty();
  }

  @Test
  void legacyFile_withTenExamples_isValid() {
    assertThat(check(valid(LEGACY))).isEmpty();
  }

  @Test
  void crlfLineEnds_blankLines_bomAndTrailingNewline_areAccepted() {
    var text = "\uFEFF" + String.join("\r\n", valid(CHAT)) + "\r\n\r\n";
    assertThat(check(text.getBytes(StandardCharsets.UTF_8), 1 << 20, 3)).isEmpty();
  }

  @Test
  void nineExamples_areTooFew() {
    assertThat(check(valid(CHAT).subList(0, 9)))
        .contains("The training file has 9 examples; at least 10 are required.");
  }

  @Test
  void emptyFile_hasNoExamples() {
    assertThat(check(new byte[0], 100, 1))
        .contains("The training file has 0 examples; at least 10 are required.");
  }

  @Test
  void invalidJson_namesTheLine() {
    assertThat(withLine4("{\"messages\": [")).contains("Line 4: is not valid JSON.");
  }

  @Test
  void trailingTokens_areInvalidJson() {
    assertThat(withLine4(CHAT + " {}")).contains("Line 4: is not valid JSON.");
  }

  @Test
  void nonObject_isRefused() {
    assertThat(withLine4("[1,2]")).contains("Line 4: is not a JSON object.");
  }

  @Test
  void messagesNotAnArray_isRefused() {
    assertThat(withLine4("{\"messages\":\"hi\"}"))
        .contains("Line 4: \"messages\" is not an array.");
  }

  @Test
  void emptyMessages_isRefused() {
    assertThat(withLine4("{\"messages\":[]}")).contains("Line 4: \"messages\" is empty.");
  }

  @Test
  void messageNotAnObject_isRefused() {
    assertThat(withLine4("{\"messages\":[1]}"))
        .contains("Line 4: \"messages[0]\" is not an object.");
  }

  @Test
  void missingRole_isRefused() {
    assertThat(withLine4("{\"messages\":[{\"content\":\"x\"}]}"))
        .contains("Line 4: \"messages[0].role\" is missing.");
  }

  @Test
  void nonStringRole_isRefused() {
    assertThat(withLine4("{\"messages\":[{\"role\":3,\"content\":\"x\"}]}"))
        .contains("Line 4: \"messages[0].role\" is not a string.");
  }

  @Test
  void unknownRole_isRefused() {
    assertThat(
            withLine4(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                    + "{\"role\":\"robot\",\"content\":\"y\"}]}"))
        .contains(
            "Line 4: \"messages[1].role\" is \"robot\"; expected one of system, developer, user,"
                + " assistant, tool.");
  }

  @Test
  void missingContent_isRefused() {
    assertThat(withLine4("{\"messages\":[{\"role\":\"user\"}]}"))
        .contains("Line 4: \"messages[0].content\" is missing.");
  }

  @Test
  void nonStringContent_isRefused() {
    assertThat(withLine4("{\"messages\":[{\"role\":\"user\",\"content\":[1]}]}"))
        .contains("Line 4: \"messages[0].content\" is not a string.");
  }

  @Test
  void assistantWithToolCalls_mayOmitContent() {
    assertThat(
            withLine4(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},{\"role\":\"assistant\","
                    + "\"tool_calls\":[{\"id\":\"c\",\"type\":\"function\",\"function\":"
                    + "{\"name\":\"f\",\"arguments\":\"{}\"}}]}]}"))
        .isEmpty();
  }

  @Test
  void noAssistantMessage_isRefused() {
    assertThat(withLine4("{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"))
        .contains("Line 4: \"messages\" has no message with role \"assistant\".");
  }

  @Test
  void weightOnUserMessage_isRefused() {
    assertThat(
            withLine4(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\",\"weight\":1},"
                    + "{\"role\":\"assistant\",\"content\":\"y\"}]}"))
        .contains("Line 4: \"messages[0].weight\" is only allowed on assistant messages.");
  }

  @Test
  void weightOtherThanZeroOrOne_isRefused() {
    assertThat(
            withLine4(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                    + "{\"role\":\"assistant\",\"content\":\"y\",\"weight\":0.5}]}"))
        .contains("Line 4: \"messages[1].weight\" must be 0 or 1.");
    assertThat(
            withLine4(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"},"
                    + "{\"role\":\"assistant\",\"content\":\"y\",\"weight\":0}]}"))
        .isEmpty();
  }

  @Test
  void legacyMissingCompletion_isRefused() {
    var lines = valid(LEGACY);
    lines.set(3, "{\"prompt\":\"p\"}");
    assertThat(check(lines)).contains("Line 4: is missing \"completion\".");
  }

  @Test
  void legacyNonStringPrompt_isRefused() {
    var lines = valid(LEGACY);
    lines.set(3, "{\"prompt\":1,\"completion\":\"c\"}");
    assertThat(check(lines)).contains("Line 4: \"prompt\" is not a string.");
  }

  @Test
  void formatsMixedInOneFile_areRefused() {
    var lines = valid(CHAT);
    lines.set(4, LEGACY);
    assertThat(check(lines))
        .contains(
            "Line 5: is in the legacy format but line 1 is in the chat format; one file uses one"
                + " format.");
  }

  @Test
  void formatsMixedInOneLine_areRefused() {
    assertThat(withLine4("{\"messages\":[],\"prompt\":\"p\"}"))
        .contains(
            "Line 4: mixes \"messages\" (chat format) with \"prompt\"/\"completion\" (legacy"
                + " format).");
  }

  @Test
  void neitherFormat_isRefused() {
    assertThat(withLine4("{\"text\":\"x\"}"))
        .contains(
            "Line 4: has neither \"messages\" (chat format) nor \"prompt\" and \"completion\""
                + " (legacy format).");
  }

  @Test
  void invalidUtf8_namesTheLine() {
    var before = (String.join("\n", valid(CHAT).subList(0, 2)) + "\n").getBytes();
    var bad = new byte[] {'{', '"', (byte) 0xC3, (byte) 0x28, '"', '}', '\n'};
    var after = String.join("\n", valid(CHAT)).getBytes();
    var all = new byte[before.length + bad.length + after.length];
    System.arraycopy(before, 0, all, 0, before.length);
    System.arraycopy(bad, 0, all, before.length, bad.length);
    System.arraycopy(after, 0, all, before.length + bad.length, after.length);
    assertThat(check(all, 1 << 20, 5)).contains("Line 3: is not valid UTF-8.");
  }

  @Test
  void tooLongLine_isRefused_withoutHoldingIt() {
    var lines = valid(LEGACY);
    lines.set(6, "{\"prompt\":\"" + "x".repeat(500) + "\",\"completion\":\"c\"}");
    var bytes = String.join("\n", lines).getBytes(StandardCharsets.UTF_8);
    assertThat(check(bytes, 200, 64)).contains("Line 7: longer than the 200 bytes allowed.");
  }

  @Test
  void firstProblemWins() {
    var lines = valid(CHAT);
    lines.set(1, "nope");
    lines.set(5, "[]");
    assertThat(check(lines)).contains("Line 2: is not valid JSON.");
  }
}
