package io.parley.usage.application;

import io.parley.usage.domain.InvalidUsageRequestException;
import io.parley.usage.domain.UsageQuery;
import io.parley.usage.domain.UsageRepository;
import io.parley.usage.domain.UsageRow;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Usage and cost reports shaped like OpenAI's {@code /v1/organization/usage/completions} and {@code
 * /v1/organization/costs}: buckets of 1m, 1h or 1d starting at {@code start_time}, paged by bucket.
 */
public final class UsageReports {

  /** Group-by values of usage. */
  public static final Set<String> USAGE_GROUPS = Set.of("model", "api_key_id", "user");

  /** Group-by values of costs. */
  public static final Set<String> COST_GROUPS = Set.of("model", "api_key_id", "user", "line_item");

  private final UsageRepository usage;
  private final Clock clock;

  public UsageReports(UsageRepository usage, Clock clock) {
    this.usage = usage;
    this.clock = clock;
  }

  /**
   * A report request.
   *
   * @param organizationId organization
   * @param startTime seconds, inclusive
   * @param endTime seconds, exclusive; 0 = now
   * @param bucketWidth 1m, 1h or 1d (empty = 1d)
   * @param groupBy group-by names
   * @param models model filter
   * @param apiKeyIds key filter
   * @param userIds user filter
   * @param limit buckets per page, 0 = default
   * @param page cursor, empty = first page
   */
  public record Request(
      String organizationId,
      long startTime,
      long endTime,
      String bucketWidth,
      List<String> groupBy,
      List<String> models,
      List<String> apiKeyIds,
      List<String> userIds,
      int limit,
      String page) {}

  /**
   * One page of rows.
   *
   * @param buckets bucket starts of the page, each with its rows (empty = no usage)
   * @param bucketSeconds bucket width
   * @param nextPage cursor of the next page, empty when none
   */
  public record Page(List<Bucket> buckets, long bucketSeconds, String nextPage) {}

  /**
   * One bucket and its rows.
   *
   * @param start seconds
   * @param end seconds
   * @param rows rows by group
   */
  public record Bucket(long start, long end, List<UsageRow> rows) {}

  /** Usage (or cost, with {@code line_item} allowed) in buckets. */
  public Page report(Request request, boolean costs) {
    AccountService.require(request.organizationId(), "organization");
    long width =
        switch (request.bucketWidth() == null || request.bucketWidth().isEmpty()
            ? "1d"
            : request.bucketWidth()) {
          case "1m" -> 60;
          case "1h" -> 3600;
          case "1d" -> 86400;
          default ->
              throw new InvalidUsageRequestException(
                  "bucket_width must be 1m, 1h or 1d.", "bucket_width");
        };
    int max = width == 60 ? 1440 : width == 3600 ? 168 : 31;
    int fallback = width == 60 ? 60 : width == 3600 ? 24 : 7;
    int limit = request.limit() == 0 ? fallback : request.limit();
    if (limit < 1 || limit > max) {
      throw new InvalidUsageRequestException("limit must be between 1 and " + max + ".", "limit");
    }
    if (request.startTime() <= 0) {
      throw new InvalidUsageRequestException("start_time is required.", "start_time");
    }
    long end = request.endTime() == 0 ? clock.millis() / 1000 : request.endTime();
    if (end <= request.startTime()) {
      throw new InvalidUsageRequestException("end_time must be after start_time.", "end_time");
    }
    var allowed = costs ? COST_GROUPS : USAGE_GROUPS;
    var groups = new LinkedHashSet<String>();
    for (var g : request.groupBy()) {
      if (!allowed.contains(g)) {
        throw new InvalidUsageRequestException(
            "group_by must be any of " + String.join(", ", allowed.stream().sorted().toList()),
            "group_by");
      }
      groups.add(g);
    }
    long pageStart = request.startTime();
    if (request.page() != null && !request.page().isEmpty()) {
      try {
        pageStart = Long.parseLong(request.page());
      } catch (NumberFormatException e) {
        throw new InvalidUsageRequestException("page is not a valid cursor.", "page");
      }
      if (pageStart < request.startTime()
          || pageStart >= end
          || (pageStart - request.startTime()) % width != 0) {
        throw new InvalidUsageRequestException("page is not a valid cursor.", "page");
      }
    }
    long pageEnd = Math.min(end, pageStart + limit * width);
    var queryGroups = new LinkedHashSet<>(groups);
    if (queryGroups.remove("line_item")) {
      queryGroups.add("model");
    }
    var rows =
        usage.query(
            new UsageQuery(
                request.organizationId(),
                pageStart,
                pageEnd,
                width,
                queryGroups,
                request.models(),
                request.apiKeyIds(),
                request.userIds()));
    var buckets = new ArrayList<Bucket>();
    int i = 0;
    for (long b = pageStart; b < pageEnd; b += width) {
      var inBucket = new ArrayList<UsageRow>();
      while (i < rows.size() && rows.get(i).bucketStart() == b) {
        inBucket.add(rows.get(i++));
      }
      buckets.add(new Bucket(b, Math.min(b + width, end), inBucket));
    }
    return new Page(buckets, width, pageEnd < end ? Long.toString(pageEnd) : "");
  }

  /**
   * Splits a usage row into cost line items ({@code <model>, input} and {@code <model>, output}).
   */
  public static List<Map.Entry<String, Long>> lineItems(UsageRow row) {
    var model = row.group().getOrDefault("model", "");
    return List.of(
        Map.entry(model + ", input", row.inputCostMicros()),
        Map.entry(model + ", output", row.outputCostMicros()));
  }
}
