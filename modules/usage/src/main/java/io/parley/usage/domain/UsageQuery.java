package io.parley.usage.domain;

import java.util.List;
import java.util.Set;

/**
 * A usage or cost query over settled requests.
 *
 * @param organizationId organization
 * @param startSeconds inclusive, aligned to the bucket width
 * @param endSeconds exclusive
 * @param bucketSeconds 60, 3600 or 86400
 * @param groupBy any of {@code model}, {@code api_key_id}, {@code user}
 * @param models only these (empty = all)
 * @param apiKeyIds only these (empty = all)
 * @param userIds only these (empty = all)
 */
public record UsageQuery(
    String organizationId,
    long startSeconds,
    long endSeconds,
    long bucketSeconds,
    Set<String> groupBy,
    List<String> models,
    List<String> apiKeyIds,
    List<String> userIds) {}
