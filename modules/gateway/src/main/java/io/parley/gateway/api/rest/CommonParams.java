package io.parley.gateway.api.rest;

import io.parley.gateway.domain.InvalidRequestException;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.SamplingParams;

/** Parameters chat and legacy completions share: sampling, stop, n, stream options. */
final class CommonParams {

  private CommonParams() {}

  /** Sets sampling, {@code stop} and {@code n} on the request; validates {@code user}. */
  static void apply(Params params, GenerateRequest.Builder request) {
    var sampling = SamplingParams.newBuilder();
    double temperature = params.number("temperature", 0, 2).orElse(1);
    double topP = params.number("top_p", 0, 1).orElse(1);
    if (topP == 0) {
      // Only the most likely token is left: greedy decoding.
      temperature = 0;
      topP = 1;
    }
    sampling
        .setTemperature(temperature)
        .setTopP(topP)
        .setPresencePenalty(params.number("presence_penalty", -2, 2).orElse(0))
        .setFrequencyPenalty(params.number("frequency_penalty", -2, 2).orElse(0))
        .putAllLogitBias(params.logitBias());
    params.longInteger("seed").ifPresent(sampling::setSeed);
    request
        .setSampling(sampling)
        .addAllStop(params.stop())
        .setN(params.integer("n", 1, 128).orElse(1));
    params.user();
  }

  /** {@code stream}. */
  static boolean stream(Params params) {
    return params.bool("stream").orElse(false);
  }

  /** {@code stream_options.include_usage}; {@code stream_options} only with {@code stream}. */
  static boolean includeUsage(Params params, boolean stream) {
    var options = params.get("stream_options");
    if (options == null) {
      return false;
    }
    if (!stream) {
      throw new InvalidRequestException(
          "The 'stream_options' parameter is only allowed when 'stream' is enabled.",
          "stream_options",
          "invalid_value");
    }
    if (!options.isObject()) {
      throw Params.invalidType("stream_options", "an object", options);
    }
    var include = options.get("include_usage");
    if (include == null || include.isNull()) {
      return false;
    }
    if (!include.isBoolean()) {
      throw Params.invalidType("stream_options.include_usage", "a boolean", include);
    }
    return include.booleanValue();
  }
}
