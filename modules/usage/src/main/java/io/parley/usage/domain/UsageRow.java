package io.parley.usage.domain;

import java.util.Map;

/**
 * Settled usage in one bucket and group.
 *
 * @param bucketStart seconds since the epoch
 * @param group group values (empty when not grouped)
 * @param promptTokens prompt tokens
 * @param completionTokens completion tokens
 * @param requests requests
 * @param inputCostMicros cost of the prompt tokens
 * @param outputCostMicros cost of the completion tokens
 */
public record UsageRow(
    long bucketStart,
    Map<String, String> group,
    long promptTokens,
    long completionTokens,
    long requests,
    long inputCostMicros,
    long outputCostMicros) {}
