package io.parley.usage.domain;

import java.util.List;

/** Aggregates of the settled ledger. */
public interface UsageRepository {

  /** Rows of the buckets that have usage, by bucket then group. */
  List<UsageRow> query(UsageQuery query);
}
