package io.parley.usage.domain;

import java.util.Map;

/**
 * Prices per model, with one price for every model not listed.
 *
 * @param prices model id → price
 * @param defaultPrice price of other models
 */
public record PriceTable(Map<String, Price> prices, Price defaultPrice) {

  public PriceTable {
    prices = Map.copyOf(prices);
  }

  /** The price of a model. */
  public Price priceOf(String model) {
    return prices.getOrDefault(model, defaultPrice);
  }

  /**
   * Parses {@code "model=prompt/completion,…"} and a default {@code "prompt/completion"}
   * (micro-dollars per million tokens).
   */
  public static PriceTable parse(String table, String defaultPrice) {
    var prices = new java.util.LinkedHashMap<String, Price>();
    for (var entry : table.split(",")) {
      var trimmed = entry.trim();
      if (trimmed.isEmpty()) {
        continue;
      }
      int eq = trimmed.lastIndexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("Price entry must be model=prompt/completion: " + entry);
      }
      prices.put(trimmed.substring(0, eq).trim(), parsePrice(trimmed.substring(eq + 1)));
    }
    return new PriceTable(prices, parsePrice(defaultPrice));
  }

  private static Price parsePrice(String value) {
    var parts = value.trim().split("/");
    if (parts.length != 2) {
      throw new IllegalArgumentException("Price must be prompt/completion: " + value);
    }
    return new Price(Long.parseLong(parts[0].trim()), Long.parseLong(parts[1].trim()));
  }
}
