package io.parley.gateway.application;

import io.parley.common.v1.TokenUsage;
import io.parley.usage.v1.GetPricesResponse;
import io.parley.usage.v1.ModelPrice;
import java.util.HashMap;
import java.util.Map;

/**
 * The usage ledger's prices (micro-dollars per million prompt and completion tokens), to price an
 * estimate the way the ledger will charge it. Costs are rounded up to the micro-dollar and saturate
 * instead of overflowing.
 */
public final class PriceTable {

  private final Map<String, ModelPrice> models;
  private final ModelPrice fallback;

  private PriceTable(Map<String, ModelPrice> models, ModelPrice fallback) {
    this.models = models;
    this.fallback = fallback;
  }

  /** The table of a {@code GetPrices} answer. */
  public static PriceTable of(GetPricesResponse response) {
    var models = new HashMap<String, ModelPrice>();
    for (var price : response.getPricesList()) {
      models.put(price.getModel(), price);
    }
    return new PriceTable(Map.copyOf(models), response.getDefaultPrice());
  }

  /** Micro-dollars the ledger charges for these tokens of this model. */
  public long cost(String model, TokenUsage tokens) {
    var price = models.getOrDefault(model, fallback);
    long micros =
        saturatingAdd(
            saturatingMultiply(tokens.getPromptTokens(), price.getPromptPerMillion()),
            saturatingMultiply(tokens.getCompletionTokens(), price.getCompletionPerMillion()));
    return micros == Long.MAX_VALUE ? Long.MAX_VALUE : Math.ceilDiv(micros, 1_000_000L);
  }

  private static long saturatingMultiply(long a, long b) {
    try {
      return Math.max(0, Math.multiplyExact(Math.max(0, a), Math.max(0, b)));
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  private static long saturatingAdd(long a, long b) {
    long sum = a + b;
    return sum < 0 ? Long.MAX_VALUE : sum;
  }
}
