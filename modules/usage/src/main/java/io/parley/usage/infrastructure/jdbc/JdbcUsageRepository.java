package io.parley.usage.infrastructure.jdbc;

import io.parley.persistence.Jdbc;
import io.parley.usage.domain.UsageQuery;
import io.parley.usage.domain.UsageRepository;
import io.parley.usage.domain.UsageRow;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Usage aggregates: one grouped range scan of the settled ledger rows of an organization (index
 * {@code ledger_by_organization_finished}), bucketed by integer arithmetic on the settle time.
 */
public final class JdbcUsageRepository implements UsageRepository {

  /** Group-by name → ledger column (a fixed list, so the SQL never contains request text). */
  private static final LinkedHashMap<String, String> COLUMNS = new LinkedHashMap<>();

  static {
    COLUMNS.put("model", "model");
    COLUMNS.put("api_key_id", "api_key_id");
    COLUMNS.put("user", "user_id");
  }

  private final Jdbc jdbc;

  public JdbcUsageRepository(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public List<UsageRow> query(UsageQuery q) {
    long startMs = q.startSeconds() * 1000;
    long widthMs = q.bucketSeconds() * 1000;
    // Numbers are validated longs, inlined so both databases see one identical expression.
    var bucket =
        "(" + startMs + " + ((finished_at - " + startMs + ") / " + widthMs + ") * " + widthMs + ")";
    var groups = COLUMNS.keySet().stream().filter(q.groupBy()::contains).toList();
    var select = new StringBuilder("SELECT ").append(bucket).append(" AS bucket");
    var groupBy = new StringBuilder(" GROUP BY ").append(bucket);
    for (var g : groups) {
      select.append(", ").append(COLUMNS.get(g));
      groupBy.append(", ").append(COLUMNS.get(g));
    }
    select.append(
        ", SUM(prompt_tokens), SUM(completion_tokens), COUNT(*), SUM(input_cost_micros),"
            + " SUM(output_cost_micros) FROM ledger WHERE organization_id = ? AND state = 'S'"
            + " AND finished_at >= ? AND finished_at < ?");
    var params = new ArrayList<String>();
    filter(select, "model", q.models(), params);
    filter(select, "api_key_id", q.apiKeyIds(), params);
    filter(select, "user_id", q.userIds(), params);
    select.append(groupBy).append(" ORDER BY bucket");
    for (var g : groups) {
      select.append(", ").append(COLUMNS.get(g));
    }
    return jdbc.autoCommit(
        c -> {
          try (var st = c.prepareStatement(select.toString())) {
            st.setString(1, q.organizationId());
            st.setLong(2, startMs);
            st.setLong(3, q.endSeconds() * 1000);
            for (int i = 0; i < params.size(); i++) {
              st.setString(4 + i, params.get(i));
            }
            var rows = new ArrayList<UsageRow>();
            try (var rs = st.executeQuery()) {
              while (rs.next()) {
                var group = new LinkedHashMap<String, String>();
                int col = 2;
                for (var g : groups) {
                  group.put(g, rs.getString(col++));
                }
                rows.add(
                    new UsageRow(
                        rs.getLong(1) / 1000,
                        group,
                        rs.getLong(col),
                        rs.getLong(col + 1),
                        rs.getLong(col + 2),
                        rs.getLong(col + 3),
                        rs.getLong(col + 4)));
              }
            }
            return rows;
          }
        });
  }

  private static void filter(
      StringBuilder sql, String column, List<String> values, List<String> params) {
    if (values.isEmpty()) {
      return;
    }
    sql.append(" AND ").append(column).append(" IN (");
    for (int i = 0; i < values.size(); i++) {
      sql.append(i == 0 ? "?" : ", ?");
      params.add(values.get(i));
    }
    sql.append(')');
  }
}
