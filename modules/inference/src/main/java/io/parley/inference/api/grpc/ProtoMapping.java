package io.parley.inference.api.grpc;

import com.google.protobuf.ByteString;
import io.parley.common.v1.TokenUsage;
import io.parley.inference.domain.ChatMessage;
import io.parley.inference.domain.FinishReason;
import io.parley.inference.domain.GenerationRequest;
import io.parley.inference.domain.ModelInfo;
import io.parley.inference.domain.Prompt;
import io.parley.inference.domain.SamplingParams;
import io.parley.inference.domain.TokenLogprob;
import io.parley.inference.domain.Usage;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.Model;
import io.parley.inference.v1.TopLogprob;
import java.util.HashMap;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/** Maps between the protobuf messages and the domain records. */
final class ProtoMapping {

  private ProtoMapping() {}

  static Model model(ModelInfo info, String engine) {
    return Model.newBuilder()
        .setId(info.id())
        .setOwnedBy(info.ownedBy())
        .setCreated(info.createdEpochSeconds())
        .setContextLength(info.contextLength())
        .setSupportsFillInTheMiddle(info.supportsFillInTheMiddle())
        .setEngine(engine)
        .build();
  }

  static GenerationRequest request(GenerateRequest proto) {
    Prompt prompt =
        switch (proto.getPromptCase()) {
          case TEXT ->
              new Prompt.Text(
                  proto.getText().getText(),
                  proto.getText().hasSuffix()
                      ? Optional.of(proto.getText().getSuffix())
                      : Optional.empty());
          case TOKENS ->
              new Prompt.Tokens(
                  proto.getTokens().getTokensList().stream().mapToInt(Integer::intValue).toArray());
          case CHAT ->
              new Prompt.Chat(
                  proto.getChat().getMessagesList().stream()
                      .map(ProtoMapping::chatMessage)
                      .toList());
          case PROMPT_NOT_SET -> throw InferenceErrors.invalid("A prompt is required.", "prompt");
        };
    int n = proto.getN() == 0 ? 1 : proto.getN();
    int bestOf = proto.getBestOf() == 0 ? n : proto.getBestOf();
    SamplingParams sampling;
    if (proto.hasSampling()) {
      var s = proto.getSampling();
      var bias = new HashMap<Integer, Double>();
      s.getLogitBiasMap().forEach(bias::put);
      sampling =
          new SamplingParams(
              s.getTemperature(),
              s.getTopP(),
              s.getPresencePenalty(),
              s.getFrequencyPenalty(),
              bias,
              s.hasSeed() ? OptionalLong.of(s.getSeed()) : OptionalLong.empty());
    } else {
      sampling = SamplingParams.defaults();
    }
    return new GenerationRequest(
        proto.getRequestId(),
        proto.getOrganization(),
        prompt,
        proto.hasMaxTokens() ? OptionalInt.of(proto.getMaxTokens()) : OptionalInt.empty(),
        n,
        bestOf,
        proto.getStopList(),
        sampling,
        proto.hasLogprobs() ? OptionalInt.of(proto.getLogprobs()) : OptionalInt.empty(),
        proto.getEcho());
  }

  static ChatMessage chatMessage(io.parley.inference.v1.ChatMessage message) {
    return new ChatMessage(message.getRole(), message.getContent());
  }

  static io.parley.inference.v1.TokenLogprob tokenLogprob(TokenLogprob token) {
    var builder =
        io.parley.inference.v1.TokenLogprob.newBuilder()
            .setToken(token.token())
            .setText(token.text())
            .setBytes(ByteString.copyFrom(token.bytes()))
            .setTextOffset(token.textOffset());
    token.logprob().ifPresent(builder::setLogprob);
    for (var top : token.top()) {
      builder.addTop(
          TopLogprob.newBuilder()
              .setToken(top.token())
              .setText(top.text())
              .setBytes(ByteString.copyFrom(top.bytes()))
              .setLogprob(top.logprob()));
    }
    return builder.build();
  }

  static List<io.parley.inference.v1.TokenLogprob> tokenLogprobs(List<TokenLogprob> tokens) {
    return tokens.stream().map(ProtoMapping::tokenLogprob).toList();
  }

  static io.parley.inference.v1.FinishReason finishReason(FinishReason reason) {
    return switch (reason) {
      case STOP -> io.parley.inference.v1.FinishReason.FINISH_REASON_STOP;
      case LENGTH -> io.parley.inference.v1.FinishReason.FINISH_REASON_LENGTH;
      case CANCELLED -> io.parley.inference.v1.FinishReason.FINISH_REASON_CANCELLED;
    };
  }

  static TokenUsage usage(Usage usage) {
    return TokenUsage.newBuilder()
        .setPromptTokens(usage.promptTokens())
        .setCompletionTokens(usage.completionTokens())
        .setTotalTokens(usage.promptTokens() + usage.completionTokens())
        .build();
  }
}
