package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.parley.inference.v1.FinishReason;
import io.parley.inference.v1.TokenLogprob;
import io.parley.inference.v1.TopLogprob;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Log probabilities in both OpenAI shapes, finish reasons. */
class OpenAiShapesTest {

  private static final TokenLogprob PROMPT_FIRST =
      TokenLogprob.newBuilder()
          .setText("Once")
          .setBytes(ByteString.copyFromUtf8("Once"))
          .setTextOffset(0)
          .build();

  private static final TokenLogprob GENERATED =
      TokenLogprob.newBuilder()
          .setText("é")
          .setBytes(ByteString.copyFromUtf8("é"))
          .setLogprob(-0.25)
          .setTextOffset(4)
          .addTop(
              TopLogprob.newBuilder()
                  .setText("é")
                  .setBytes(ByteString.copyFromUtf8("é"))
                  .setLogprob(-0.25))
          .addTop(
              TopLogprob.newBuilder()
                  .setText(" upon")
                  .setBytes(ByteString.copyFromUtf8(" upon"))
                  .setLogprob(-1.5))
          .build();

  @Test
  void chatLogprobs_listTokensWithUnsignedBytesAndAlternatives() throws Exception {
    var json = Json.MAPPER.writeValueAsString(OpenAiShapes.chatLogprobs(List.of(GENERATED)));

    assertThat(json)
        .isEqualTo(
            "{\"content\":[{\"token\":\"é\",\"logprob\":-0.25,\"bytes\":[195,169],"
                + "\"top_logprobs\":[{\"token\":\"é\",\"logprob\":-0.25,\"bytes\":[195,169]},"
                + "{\"token\":\" upon\",\"logprob\":-1.5,\"bytes\":[32,117,112,111,110]}]}],"
                + "\"refusal\":null}");
  }

  @Test
  void textLogprobs_putEchoedPromptFirstWithNullForItsFirstToken() throws Exception {
    var json =
        Json.MAPPER.writeValueAsString(
            OpenAiShapes.textLogprobs(List.of(PROMPT_FIRST), List.of(GENERATED)));

    assertThat(json)
        .isEqualTo(
            "{\"tokens\":[\"Once\",\"é\"],\"token_logprobs\":[null,-0.25],"
                + "\"top_logprobs\":[null,{\"é\":-0.25,\" upon\":-1.5}],\"text_offset\":[0,4]}");
  }

  @Test
  void finishReasons() {
    assertThat(OpenAiShapes.finishReason(FinishReason.FINISH_REASON_STOP)).isEqualTo("stop");
    assertThat(OpenAiShapes.finishReason(FinishReason.FINISH_REASON_LENGTH)).isEqualTo("length");
    assertThat(OpenAiShapes.finishReason(FinishReason.FINISH_REASON_CONTENT_FILTER))
        .isEqualTo("content_filter");
    assertThat(OpenAiShapes.finishReason(FinishReason.FINISH_REASON_UNSPECIFIED)).isNull();
  }
}
