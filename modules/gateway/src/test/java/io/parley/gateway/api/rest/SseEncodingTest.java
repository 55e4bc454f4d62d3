package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.gateway.api.rest.dto.ChatLogprobs;
import io.parley.gateway.api.rest.dto.ChatTokenLogprob;
import io.parley.gateway.api.rest.dto.ErrorEnvelope;
import io.parley.gateway.api.rest.dto.TextLogprobs;
import io.parley.gateway.api.rest.dto.Usage;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bytes of streamed chunks, exactly as OpenAI sends them. */
class SseEncodingTest {

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  private String sent() {
    return out.toString(StandardCharsets.UTF_8);
  }

  @Test
  void chatChunks_areByteExact() throws Exception {
    var encoder =
        new ChatChunkEncoder(out, "chatcmpl-1", 1700000000, "stories", false, () -> false);

    encoder.role(0);
    encoder.content(0, "Hi \"there\"\n", null);
    encoder.finish(0, "stop");
    encoder.done();

    var head =
        "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
            + "\"model\":\"stories\",\"system_fingerprint\":null,\"choices\":[";
    assertThat(sent())
        .isEqualTo(
            head
                + "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                + "\"logprobs\":null,\"finish_reason\":null}]}\n\n"
                + head
                + "{\"index\":0,\"delta\":{\"content\":\"Hi \\\"there\\\"\\n\"},"
                + "\"logprobs\":null,\"finish_reason\":null}]}\n\n"
                + head
                + "{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}\n\n"
                + "data: [DONE]\n\n");
  }

  @Test
  void chatChunks_withIncludeUsage_carryUsageNullThenAUsageChunk() throws Exception {
    var encoder = new ChatChunkEncoder(out, "chatcmpl-1", 1, "m", true, () -> false);

    encoder.content(
        1,
        "a",
        new ChatLogprobs(List.of(new ChatTokenLogprob("a", -0.5, List.of(97), List.of())), null));
    encoder.usage(new Usage(3, 1, 4));

    var head =
        "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
            + "\"model\":\"m\",\"system_fingerprint\":null,\"choices\":[";
    assertThat(sent())
        .isEqualTo(
            head
                + "{\"index\":1,\"delta\":{\"content\":\"a\"},\"logprobs\":{\"content\":[{\"token\":"
                + "\"a\",\"logprob\":-0.5,\"bytes\":[97],\"top_logprobs\":[]}],\"refusal\":null},"
                + "\"finish_reason\":null}],\"usage\":null}\n\n"
                + head
                + "],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}\n\n");
  }

  @Test
  void textChunks_areByteExact() throws Exception {
    var encoder = new TextChunkEncoder(out, "cmpl-1", 5, "stories", false, () -> false);

    encoder.text(0, "Once", null, null);
    encoder.text(
        2,
        "",
        new TextLogprobs(List.of("x"), List.of(-1.25), List.of(Map.of("x", -1.25)), List.of(4)),
        "length");
    encoder.done();

    var head =
        "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":5,\"choices\":[";
    var tail = "],\"model\":\"stories\",\"system_fingerprint\":null}\n\n";
    assertThat(sent())
        .isEqualTo(
            head
                + "{\"text\":\"Once\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}"
                + tail
                + head
                + "{\"text\":\"\",\"index\":2,\"logprobs\":{\"tokens\":[\"x\"],\"token_logprobs\":"
                + "[-1.25],\"top_logprobs\":[{\"x\":-1.25}],\"text_offset\":[4]},"
                + "\"finish_reason\":\"length\"}"
                + tail
                + "data: [DONE]\n\n");
  }

  @Test
  void textChunks_withIncludeUsage_endWithAUsageChunk() throws Exception {
    var encoder = new TextChunkEncoder(out, "cmpl-1", 5, "m", true, () -> false);

    encoder.text(0, "a", null, "stop");
    encoder.usage(new Usage(1, 1, 2));

    var head =
        "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":5,\"choices\":[";
    assertThat(sent())
        .isEqualTo(
            head
                + "{\"text\":\"a\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"stop\"}"
                + "],\"model\":\"m\",\"system_fingerprint\":null,\"usage\":null}\n\n"
                + head
                + "],\"model\":\"m\",\"system_fingerprint\":null,\"usage\":{\"prompt_tokens\":1,"
                + "\"completion_tokens\":1,\"total_tokens\":2}}\n\n");
  }

  @Test
  void errorEvent_isTheEnvelope() throws Exception {
    var encoder = new ChatChunkEncoder(out, "chatcmpl-1", 1, "m", false, () -> false);

    encoder.error(
        new ErrorEnvelope(new ErrorEnvelope.ErrorBody("boom", "server_error", null, null)));

    assertThat(sent())
        .isEqualTo(
            "data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"param\":null,"
                + "\"code\":null}}\n\n");
  }

  @Test
  void modelNamesThatLookLikeJson_areEscaped() throws Exception {
    var encoder =
        new ChatChunkEncoder(out, "chatcmpl-1", 1, "a\",\"choices\":[", false, () -> false);

    encoder.finish(0, "stop");

    assertThat(sent())
        .startsWith(
            "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"a\\\",\\\"choices\\\":[\",\"system_fingerprint\":null,\"choices\":[{");
    assertThat(Arrays.asList(sent().split("\n\n"))).hasSize(1);
  }
}
