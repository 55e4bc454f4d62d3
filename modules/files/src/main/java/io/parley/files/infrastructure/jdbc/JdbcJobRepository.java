package io.parley.files.infrastructure.jdbc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.parley.files.domain.FineTunedModel;
import io.parley.files.domain.FineTuningJob;
import io.parley.files.domain.JobApi;
import io.parley.files.domain.JobCheckpoint;
import io.parley.files.domain.JobEvent;
import io.parley.files.domain.JobRepository;
import io.parley.files.domain.JobStateException;
import io.parley.files.domain.JobStatus;
import io.parley.files.domain.StoreException;
import io.parley.files.domain.TrainingParameters;
import io.parley.persistence.Jdbc;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;

/** Fine-tuning jobs, events, checkpoints and models in the files database. */
public final class JdbcJobRepository implements JobRepository {

  /** The kind under which a job's files are recorded as in use. */
  public static final String USE_KIND = "fine_tuning.job";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String JOB_COLUMNS =
      "id, organization, created_by, api, model, training_file, validation_file, n_epochs,"
          + " batch_size, learning_rate_multiplier, prompt_loss_weight, suffix, seed, metadata,"
          + " status, resolved_n_epochs, resolved_batch_size, resolved_lrm, fine_tuned_model,"
          + " trained_tokens, result_file, error_code, error_message, error_param, created_ms,"
          + " updated_ms, finished_ms, estimated_finish_ms, attempt";
  private static final String EVENT_COLUMNS = "id, created_ms, level, type, message, data";
  private static final String CHECKPOINT_COLUMNS =
      "id, job_id, epoch, step, train_loss, train_accuracy, valid_loss, valid_accuracy,"
          + " fine_tuned_model, created_ms";
  private static final String MODEL_COLUMNS =
      "id, organization, base_model, job_id, checkpoint_step, adapter_key, adapter_sha256,"
          + " adapter_bytes, created_ms";

  private final Jdbc jdbc;

  public JdbcJobRepository(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public void insert(FineTuningJob job, JobEvent created) {
    jdbc.inTransaction(
        c -> {
          try (var s =
              c.prepareStatement(
                  "INSERT INTO ft_jobs ("
                      + JOB_COLUMNS
                      + ", worker, runner_ref, lease_until_ms, billed) VALUES ("
                      + "?, ".repeat(29)
                      + "NULL, NULL, NULL, FALSE)")) {
            int i = 1;
            s.setString(i++, job.id());
            s.setString(i++, job.organization());
            s.setString(i++, job.createdBy());
            s.setString(i++, job.api().name());
            s.setString(i++, job.model());
            s.setString(i++, job.trainingFile());
            s.setString(i++, job.validationFile().orElse(null));
            setInt(s, i++, job.requested().epochs());
            setInt(s, i++, job.requested().batchSize());
            setDouble(s, i++, job.requested().learningRateMultiplier());
            setDouble(s, i++, job.requested().promptLossWeight());
            s.setString(i++, job.suffix());
            s.setLong(i++, job.seed());
            s.setString(i++, json(job.metadata()));
            s.setString(i++, job.status().name());
            s.setNull(i++, Types.INTEGER);
            s.setNull(i++, Types.INTEGER);
            s.setNull(i++, Types.DOUBLE);
            s.setNull(i++, Types.VARCHAR);
            s.setNull(i++, Types.BIGINT);
            s.setNull(i++, Types.VARCHAR);
            s.setNull(i++, Types.VARCHAR);
            s.setNull(i++, Types.VARCHAR);
            s.setNull(i++, Types.VARCHAR);
            s.setLong(i++, job.createdMillis());
            s.setLong(i++, job.updatedMillis());
            s.setNull(i++, Types.BIGINT);
            s.setNull(i++, Types.BIGINT);
            s.setInt(i, 0);
            s.executeUpdate();
          }
          insertEvent(c, job.id(), created, Optional.empty());
          use(c, job.trainingFile(), job.id(), true);
          if (job.validationFile().isPresent()
              && !job.validationFile().get().equals(job.trainingFile())) {
            use(c, job.validationFile().get(), job.id(), true);
          }
          return null;
        });
  }

  private static void use(Connection c, String fileId, String jobId, boolean active)
      throws SQLException {
    try (var s =
        c.prepareStatement(
            "UPDATE file_uses SET active = ? WHERE file_id = ? AND user_kind = ? AND user_id = ?")) {
      s.setBoolean(1, active);
      s.setString(2, fileId);
      s.setString(3, USE_KIND);
      s.setString(4, jobId);
      if (s.executeUpdate() > 0 || !active) {
        return;
      }
    }
    try (var s =
        c.prepareStatement(
            "INSERT INTO file_uses (file_id, user_kind, user_id, active, created_ms)"
                + " VALUES (?, ?, ?, TRUE, ?)")) {
      s.setString(1, fileId);
      s.setString(2, USE_KIND);
      s.setString(3, jobId);
      s.setLong(4, System.currentTimeMillis());
      s.executeUpdate();
    }
  }

  private static void releaseFiles(Connection c, String jobId) throws SQLException {
    try (var s =
        c.prepareStatement(
            "UPDATE file_uses SET active = FALSE WHERE user_kind = ? AND user_id = ?")) {
      s.setString(1, USE_KIND);
      s.setString(2, jobId);
      s.executeUpdate();
    }
  }

  @Override
  public Optional<FineTuningJob> find(String organization, String id) {
    return jdbc.autoCommit(c -> find(c, organization, id, false));
  }

  private static Optional<FineTuningJob> find(
      Connection c, String organization, String id, boolean lock) throws SQLException {
    try (var s =
        c.prepareStatement(
            "SELECT "
                + JOB_COLUMNS
                + " FROM ft_jobs WHERE organization = ? AND id = ?"
                + (lock ? " FOR UPDATE" : ""))) {
      s.setString(1, organization);
      s.setString(2, id);
      try (var rs = s.executeQuery()) {
        return rs.next() ? Optional.of(job(rs)) : Optional.empty();
      }
    }
  }

  private static Optional<FineTuningJob> byId(Connection c, String id) throws SQLException {
    try (var s = c.prepareStatement("SELECT " + JOB_COLUMNS + " FROM ft_jobs WHERE id = ?")) {
      s.setString(1, id);
      try (var rs = s.executeQuery()) {
        return rs.next() ? Optional.of(job(rs)) : Optional.empty();
      }
    }
  }

  @Override
  public List<FineTuningJob> list(
      String organization,
      Optional<JobApi> api,
      Map<String, String> metadata,
      int count,
      Optional<FineTuningJob> after) {
    var sql = new StringBuilder("SELECT " + JOB_COLUMNS + " FROM ft_jobs WHERE organization = ?");
    api.ifPresent(a -> sql.append(" AND api = ?"));
    after.ifPresent(a -> sql.append(" AND (created_ms < ? OR (created_ms = ? AND id < ?))"));
    sql.append(" ORDER BY created_ms DESC, id DESC");
    // metadata is filtered here (a JSON column): read in pages until enough match
    return jdbc.autoCommit(
        c -> {
          var out = new ArrayList<FineTuningJob>();
          try (var s = c.prepareStatement(sql.toString())) {
            int i = 1;
            s.setString(i++, organization);
            if (api.isPresent()) {
              s.setString(i++, api.get().name());
            }
            if (after.isPresent()) {
              s.setLong(i++, after.get().createdMillis());
              s.setLong(i++, after.get().createdMillis());
              s.setString(i++, after.get().id());
            }
            s.setFetchSize(100);
            try (var rs = s.executeQuery()) {
              while (out.size() < count && rs.next()) {
                var job = job(rs);
                if (job.metadata().entrySet().containsAll(metadata.entrySet())) {
                  out.add(job);
                }
              }
            }
          }
          return out;
        });
  }

  @Override
  public Optional<FineTuningJob> transition(
      String organization,
      String id,
      List<JobStatus> from,
      JobStatus to,
      JobEvent event,
      long nowMillis) {
    return jdbc.inTransaction(
        c -> {
          var job = find(c, organization, id, true);
          if (job.isEmpty()) {
            return Optional.empty();
          }
          var status = job.get().status();
          if (!from.contains(status)) {
            throw new JobStateException(
                "The job is "
                    + status.name().toLowerCase(java.util.Locale.ROOT)
                    + "; it cannot become "
                    + to.name().toLowerCase(java.util.Locale.ROOT)
                    + ".");
          }
          try (var s =
              c.prepareStatement(
                  "UPDATE ft_jobs SET status = ?, updated_ms = ?, worker = NULL,"
                      + " lease_until_ms = NULL, estimated_finish_ms = NULL,"
                      + " finished_ms = ? WHERE id = ?")) {
            s.setString(1, to.name());
            s.setLong(2, nowMillis);
            if (to.terminal()) {
              s.setLong(3, nowMillis);
            } else {
              s.setNull(3, Types.BIGINT);
            }
            s.setString(4, id);
            s.executeUpdate();
          }
          if (to.terminal()) {
            releaseFiles(c, id);
          }
          insertEvent(c, id, event, Optional.empty());
          return byId(c, id);
        });
  }

  @Override
  public List<JobEvent> events(String jobId, int count, boolean ascending, Optional<String> after) {
    return jdbc.autoCommit(
        c -> {
          var sql =
              new StringBuilder("SELECT " + EVENT_COLUMNS + " FROM ft_job_events WHERE job_id = ?");
          if (after.isPresent()) {
            sql.append(" AND seq ")
                .append(ascending ? ">" : "<")
                .append(" (SELECT seq FROM ft_job_events WHERE job_id = ? AND id = ?)");
          }
          sql.append(" ORDER BY seq ").append(ascending ? "ASC" : "DESC").append(" LIMIT ?");
          try (var s = c.prepareStatement(sql.toString())) {
            int i = 1;
            s.setString(i++, jobId);
            if (after.isPresent()) {
              s.setString(i++, jobId);
              s.setString(i++, after.get());
            }
            s.setInt(i, count);
            var out = new ArrayList<JobEvent>();
            try (var rs = s.executeQuery()) {
              while (rs.next()) {
                out.add(
                    new JobEvent(
                        rs.getString(1),
                        rs.getLong(2),
                        rs.getString(3),
                        rs.getString(4),
                        rs.getString(5),
                        Optional.ofNullable(rs.getString(6))));
              }
            }
            return out;
          }
        });
  }

  @Override
  public List<JobCheckpoint> checkpoints(String jobId, int count, Optional<String> after) {
    return jdbc.autoCommit(
        c -> {
          var sql =
              new StringBuilder(
                  "SELECT " + CHECKPOINT_COLUMNS + " FROM ft_job_checkpoints WHERE job_id = ?");
          if (after.isPresent()) {
            sql.append(
                " AND epoch < (SELECT epoch FROM ft_job_checkpoints WHERE job_id = ? AND id = ?)");
          }
          sql.append(" ORDER BY epoch DESC LIMIT ?");
          try (var s = c.prepareStatement(sql.toString())) {
            int i = 1;
            s.setString(i++, jobId);
            if (after.isPresent()) {
              s.setString(i++, jobId);
              s.setString(i++, after.get());
            }
            s.setInt(i, count);
            var out = new ArrayList<JobCheckpoint>();
            try (var rs = s.executeQuery()) {
              while (rs.next()) {
                out.add(
                    new JobCheckpoint(
                        rs.getString(1),
                        rs.getString(2),
                        rs.getInt(3),
                        rs.getInt(4),
                        rs.getDouble(5),
                        rs.getDouble(6),
                        optionalDouble(rs, 7),
                        optionalDouble(rs, 8),
                        rs.getString(9),
                        rs.getLong(10)));
              }
            }
            return out;
          }
        });
  }

  @Override
  public Optional<Claim> claim(
      String worker, long nowMillis, long leaseMillis, int perOrganization) {
    return jdbc.inTransaction(
        c -> {
          String id;
          String previous;
          try (var s =
              c.prepareStatement(
                  "SELECT j.id, j.runner_ref FROM ft_jobs j"
                      + " WHERE (j.status = 'QUEUED'"
                      + " OR (j.status = 'RUNNING' AND j.lease_until_ms < ?))"
                      + " AND (SELECT COUNT(*) FROM ft_jobs r WHERE r.organization = j.organization"
                      + " AND r.status = 'RUNNING' AND r.lease_until_ms >= ?) < ?"
                      + " ORDER BY j.created_ms, j.id LIMIT 1 FOR UPDATE SKIP LOCKED")) {
            s.setLong(1, nowMillis);
            s.setLong(2, nowMillis);
            s.setInt(3, perOrganization);
            try (var rs = s.executeQuery()) {
              if (!rs.next()) {
                return Optional.<Claim>empty();
              }
              id = rs.getString(1);
              previous = rs.getString(2);
            }
          }
          try (var s =
              c.prepareStatement(
                  "UPDATE ft_jobs SET status = 'RUNNING', attempt = attempt + 1, worker = ?,"
                      + " runner_ref = NULL, lease_until_ms = ?, updated_ms = ? WHERE id = ?")) {
            s.setString(1, worker);
            s.setLong(2, nowMillis + leaseMillis);
            s.setLong(3, nowMillis);
            s.setString(4, id);
            s.executeUpdate();
          }
          return Optional.of(new Claim(byId(c, id).orElseThrow(), Optional.ofNullable(previous)));
        });
  }

  /** Locks the job's row and says whether {@code attempt} still runs it. */
  private static boolean holds(Connection c, String jobId, int attempt) throws SQLException {
    try (var s =
        c.prepareStatement("SELECT attempt, status FROM ft_jobs WHERE id = ? FOR UPDATE")) {
      s.setString(1, jobId);
      try (var rs = s.executeQuery()) {
        return rs.next()
            && rs.getInt(1) == attempt
            && JobStatus.RUNNING.name().equals(rs.getString(2));
      }
    }
  }

  private boolean fenced(String jobId, int attempt, Jdbc.Work<Void> work) {
    return jdbc.inTransaction(
        c -> {
          if (!holds(c, jobId, attempt)) {
            return false;
          }
          work.run(c);
          return true;
        });
  }

  private static int update(Connection c, String sql, Object... values) throws SQLException {
    try (var s = c.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) {
        s.setObject(i + 1, values[i]);
      }
      return s.executeUpdate();
    }
  }

  @Override
  public boolean heartbeat(String jobId, int attempt, long leaseUntilMillis) {
    return jdbc.autoCommit(
        c ->
            update(
                    c,
                    "UPDATE ft_jobs SET lease_until_ms = ?"
                        + " WHERE id = ? AND attempt = ? AND status = 'RUNNING'",
                    leaseUntilMillis,
                    jobId,
                    attempt)
                > 0);
  }

  @Override
  public boolean runner(String jobId, int attempt, String runnerRef) {
    return jdbc.autoCommit(
        c ->
            update(
                    c,
                    "UPDATE ft_jobs SET runner_ref = ?"
                        + " WHERE id = ? AND attempt = ? AND status = 'RUNNING'",
                    runnerRef,
                    jobId,
                    attempt)
                > 0);
  }

  @Override
  public boolean progress(
      String jobId,
      int attempt,
      Optional<TrainingParameters.Resolved> resolved,
      long estimatedFinishMillis,
      long nowMillis) {
    return jdbc.autoCommit(
        c -> {
          if (resolved.isEmpty()) {
            return update(
                    c,
                    "UPDATE ft_jobs SET estimated_finish_ms = ?, updated_ms = ?"
                        + " WHERE id = ? AND attempt = ? AND status = 'RUNNING'",
                    estimatedFinishMillis,
                    nowMillis,
                    jobId,
                    attempt)
                > 0;
          }
          var r = resolved.get();
          return update(
                  c,
                  "UPDATE ft_jobs SET resolved_n_epochs = ?, resolved_batch_size = ?,"
                      + " resolved_lrm = ?, estimated_finish_ms = ?, updated_ms = ?"
                      + " WHERE id = ? AND attempt = ? AND status = 'RUNNING'",
                  r.epochs(),
                  r.batchSize(),
                  r.learningRateMultiplier(),
                  estimatedFinishMillis,
                  nowMillis,
                  jobId,
                  attempt)
              > 0;
        });
  }

  @Override
  public int lastMetricsStep(String jobId) {
    return jdbc.autoCommit(
        c -> {
          try (var s =
              c.prepareStatement(
                  "SELECT MAX(step) FROM ft_job_events WHERE job_id = ? AND type = 'metrics'")) {
            s.setString(1, jobId);
            try (var rs = s.executeQuery()) {
              return rs.next() ? rs.getInt(1) : 0;
            }
          }
        });
  }

  @Override
  public boolean addEvents(String jobId, int attempt, List<NewEvent> events) {
    if (events.isEmpty()) {
      return heartbeatless(jobId, attempt);
    }
    return fenced(
        jobId,
        attempt,
        c -> {
          for (var e : events) {
            insertEvent(c, jobId, e.event(), e.step());
          }
          return null;
        });
  }

  private boolean heartbeatless(String jobId, int attempt) {
    return jdbc.autoCommit(
        c -> {
          try (var s =
              c.prepareStatement(
                  "SELECT 1 FROM ft_jobs WHERE id = ? AND attempt = ? AND status = 'RUNNING'")) {
            s.setString(1, jobId);
            s.setInt(2, attempt);
            try (var rs = s.executeQuery()) {
              return rs.next();
            }
          }
        });
  }

  private static void insertEvent(
      Connection c, String jobId, JobEvent event, Optional<Integer> step) throws SQLException {
    try (var s =
        c.prepareStatement(
            "INSERT INTO ft_job_events (id, job_id, created_ms, level, type, message, step, data)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
      s.setString(1, event.id());
      s.setString(2, jobId);
      s.setLong(3, event.createdMillis());
      s.setString(4, event.level());
      s.setString(5, event.type());
      s.setString(6, event.message());
      if (step.isPresent()) {
        s.setInt(7, step.get());
      } else {
        s.setNull(7, Types.INTEGER);
      }
      s.setString(8, event.data().orElse(null));
      s.executeUpdate();
    }
  }

  @Override
  public boolean addCheckpoint(
      String jobId, int attempt, JobCheckpoint checkpoint, FineTunedModel model) {
    return fenced(
        jobId,
        attempt,
        c -> {
          try (var s =
              c.prepareStatement(
                  "SELECT 1 FROM ft_job_checkpoints WHERE job_id = ? AND epoch = ?")) {
            s.setString(1, jobId);
            s.setInt(2, checkpoint.epoch());
            try (var rs = s.executeQuery()) {
              if (rs.next()) {
                return null;
              }
            }
          }
          insertModel(c, model);
          try (var s =
              c.prepareStatement(
                  "INSERT INTO ft_job_checkpoints ("
                      + CHECKPOINT_COLUMNS
                      + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            s.setString(1, checkpoint.id());
            s.setString(2, jobId);
            s.setInt(3, checkpoint.epoch());
            s.setInt(4, checkpoint.step());
            s.setDouble(5, checkpoint.trainLoss());
            s.setDouble(6, checkpoint.trainAccuracy());
            setDouble(s, 7, checkpoint.validLoss());
            setDouble(s, 8, checkpoint.validAccuracy());
            s.setString(9, checkpoint.fineTunedModel());
            s.setLong(10, checkpoint.createdMillis());
            s.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public List<Integer> checkpointEpochs(String jobId) {
    return jdbc.autoCommit(
        c -> {
          try (var s =
              c.prepareStatement(
                  "SELECT epoch FROM ft_job_checkpoints WHERE job_id = ? ORDER BY epoch DESC")) {
            s.setString(1, jobId);
            var out = new ArrayList<Integer>();
            try (var rs = s.executeQuery()) {
              while (rs.next()) {
                out.add(rs.getInt(1));
              }
            }
            return out;
          }
        });
  }

  private static void insertModel(Connection c, FineTunedModel model) throws SQLException {
    try (var s =
        c.prepareStatement(
            "INSERT INTO ft_models (" + MODEL_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      s.setString(1, model.id());
      s.setString(2, model.organization());
      s.setString(3, model.baseModel());
      s.setString(4, model.jobId());
      setInt(s, 5, model.checkpointStep());
      s.setString(6, model.adapterKey());
      s.setString(7, model.adapterSha256());
      s.setLong(8, model.adapterBytes());
      s.setLong(9, model.createdMillis());
      s.executeUpdate();
    }
  }

  @Override
  public boolean succeed(
      String jobId,
      int attempt,
      FineTunedModel model,
      long trainedTokens,
      String resultFile,
      JobEvent event,
      long nowMillis) {
    return fenced(
        jobId,
        attempt,
        c -> {
          insertModel(c, model);
          update(
              c,
              "UPDATE ft_jobs SET status = 'SUCCEEDED', fine_tuned_model = ?, trained_tokens = ?,"
                  + " result_file = ?, finished_ms = ?, updated_ms = ?, lease_until_ms = NULL,"
                  + " estimated_finish_ms = NULL WHERE id = ?",
              model.id(),
              trainedTokens,
              resultFile,
              nowMillis,
              nowMillis,
              jobId);
          releaseFiles(c, jobId);
          insertEvent(c, jobId, event, Optional.empty());
          return null;
        });
  }

  @Override
  public boolean fail(
      String jobId, int attempt, FineTuningJob.JobError error, JobEvent event, long nowMillis) {
    return fenced(
        jobId,
        attempt,
        c -> {
          update(
              c,
              "UPDATE ft_jobs SET status = 'FAILED', error_code = ?, error_message = ?,"
                  + " error_param = ?, finished_ms = ?, updated_ms = ?, lease_until_ms = NULL,"
                  + " estimated_finish_ms = NULL WHERE id = ?",
              error.code(),
              cut(error.message(), 1024),
              error.param().orElse(null),
              nowMillis,
              nowMillis,
              jobId);
          releaseFiles(c, jobId);
          insertEvent(c, jobId, event, Optional.empty());
          return null;
        });
  }

  @Override
  public boolean requeue(String jobId, int attempt, JobEvent event, long nowMillis) {
    return fenced(
        jobId,
        attempt,
        c -> {
          update(
              c,
              "UPDATE ft_jobs SET status = 'QUEUED', worker = NULL, lease_until_ms = NULL,"
                  + " updated_ms = ? WHERE id = ?",
              nowMillis,
              jobId);
          insertEvent(c, jobId, event, Optional.empty());
          return null;
        });
  }

  @Override
  public List<FineTuningJob> unbilled(int count) {
    return jdbc.autoCommit(
        c -> {
          try (var s =
              c.prepareStatement(
                  "SELECT "
                      + JOB_COLUMNS
                      + " FROM ft_jobs WHERE status = 'SUCCEEDED' AND billed = FALSE"
                      + " ORDER BY finished_ms LIMIT ?")) {
            s.setInt(1, count);
            var out = new ArrayList<FineTuningJob>();
            try (var rs = s.executeQuery()) {
              while (rs.next()) {
                out.add(job(rs));
              }
            }
            return out;
          }
        });
  }

  @Override
  public void billed(String jobId) {
    jdbc.autoCommit(c -> update(c, "UPDATE ft_jobs SET billed = TRUE WHERE id = ?", jobId));
  }

  @Override
  public List<FineTunedModel> models(String organization, boolean withCheckpoints) {
    return jdbc.autoCommit(
        c -> {
          try (var s =
              c.prepareStatement(
                  "SELECT "
                      + MODEL_COLUMNS
                      + " FROM ft_models WHERE organization = ?"
                      + (withCheckpoints ? "" : " AND checkpoint_step IS NULL")
                      + " ORDER BY created_ms DESC, id")) {
            s.setString(1, organization);
            var out = new ArrayList<FineTunedModel>();
            try (var rs = s.executeQuery()) {
              while (rs.next()) {
                out.add(model(rs));
              }
            }
            return out;
          }
        });
  }

  @Override
  public Optional<FineTunedModel> model(String organization, String id) {
    return jdbc.autoCommit(c -> model(c, organization, id));
  }

  private static Optional<FineTunedModel> model(Connection c, String organization, String id)
      throws SQLException {
    try (var s =
        c.prepareStatement(
            "SELECT " + MODEL_COLUMNS + " FROM ft_models WHERE organization = ? AND id = ?")) {
      s.setString(1, organization);
      s.setString(2, id);
      try (var rs = s.executeQuery()) {
        return rs.next() ? Optional.of(model(rs)) : Optional.empty();
      }
    }
  }

  @Override
  public Optional<FineTunedModel> deleteModel(String organization, String id) {
    return jdbc.inTransaction(
        c -> {
          var found = model(c, organization, id);
          if (found.isPresent()) {
            update(c, "DELETE FROM ft_models WHERE id = ?", id);
          }
          return found;
        });
  }

  private static FineTunedModel model(ResultSet rs) throws SQLException {
    int step = rs.getInt(5);
    return new FineTunedModel(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(step),
        rs.getString(6),
        rs.getString(7),
        rs.getLong(8),
        rs.getLong(9));
  }

  private static FineTuningJob job(ResultSet rs) throws SQLException {
    var requested =
        new TrainingParameters(
            optionalInt(rs, 8), optionalInt(rs, 9), optionalDouble(rs, 10), optionalDouble(rs, 11));
    var epochs = optionalInt(rs, 16);
    Optional<TrainingParameters.Resolved> resolved =
        epochs.isPresent()
            ? Optional.of(
                new TrainingParameters.Resolved(epochs.getAsInt(), rs.getInt(17), rs.getDouble(18)))
            : Optional.empty();
    var errorCode = rs.getString(22);
    Optional<FineTuningJob.JobError> error =
        errorCode == null
            ? Optional.empty()
            : Optional.of(
                new FineTuningJob.JobError(
                    errorCode, rs.getString(23), Optional.ofNullable(rs.getString(24))));
    return new FineTuningJob(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        JobApi.valueOf(rs.getString(4)),
        rs.getString(5),
        rs.getString(6),
        Optional.ofNullable(rs.getString(7)),
        requested,
        resolved,
        rs.getString(12),
        rs.getLong(13),
        metadata(rs.getString(14)),
        JobStatus.valueOf(rs.getString(15)),
        Optional.ofNullable(rs.getString(19)),
        optionalLong(rs, 20),
        Optional.ofNullable(rs.getString(21)),
        error,
        rs.getLong(25),
        rs.getLong(26),
        optionalLong(rs, 27),
        optionalLong(rs, 28),
        rs.getInt(29));
  }

  private static OptionalInt optionalInt(ResultSet rs, int column) throws SQLException {
    int v = rs.getInt(column);
    return rs.wasNull() ? OptionalInt.empty() : OptionalInt.of(v);
  }

  private static OptionalLong optionalLong(ResultSet rs, int column) throws SQLException {
    long v = rs.getLong(column);
    return rs.wasNull() ? OptionalLong.empty() : OptionalLong.of(v);
  }

  private static OptionalDouble optionalDouble(ResultSet rs, int column) throws SQLException {
    double v = rs.getDouble(column);
    return rs.wasNull() ? OptionalDouble.empty() : OptionalDouble.of(v);
  }

  private static void setInt(PreparedStatement s, int i, OptionalInt v) throws SQLException {
    if (v.isPresent()) {
      s.setInt(i, v.getAsInt());
    } else {
      s.setNull(i, Types.INTEGER);
    }
  }

  private static void setDouble(PreparedStatement s, int i, OptionalDouble v) throws SQLException {
    if (v.isPresent()) {
      s.setDouble(i, v.getAsDouble());
    } else {
      s.setNull(i, Types.DOUBLE);
    }
  }

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max);
  }

  private static String json(Map<String, String> metadata) {
    try {
      return JSON.writeValueAsString(new TreeMap<>(metadata));
    } catch (JsonProcessingException e) {
      throw new StoreException("Cannot write job metadata.", e);
    }
  }

  private static Map<String, String> metadata(String json) {
    try {
      return JSON.readValue(json, new TypeReference<LinkedHashMap<String, String>>() {});
    } catch (JsonProcessingException e) {
      throw new StoreException("Cannot read job metadata.", e);
    }
  }
}
