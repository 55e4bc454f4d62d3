package io.parley.files.infrastructure.jdbc;

import io.parley.files.domain.FileInUseException;
import io.parley.files.domain.FileRepository;
import io.parley.files.domain.FileStatus;
import io.parley.files.domain.FileUses;
import io.parley.files.domain.InvalidFileRequestException;
import io.parley.files.domain.StorageQuotaExceededException;
import io.parley.files.domain.StorageUsage;
import io.parley.files.domain.StoredFile;
import io.parley.files.domain.Upload;
import io.parley.files.domain.UploadPart;
import io.parley.files.domain.UploadStatus;
import io.parley.persistence.Jdbc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Files, uploads, parts, storage accounts and file uses in the files database. */
public final class JdbcFileRepository implements FileRepository, FileUses {

  private static final String FILE_COLUMNS =
      "id, organization, created_by, filename, purpose, bytes, sha256, status, status_details,"
          + " created_ms";
  private static final String UPLOAD_COLUMNS =
      "id, organization, created_by, filename, purpose, bytes, mime_type, status, created_ms,"
          + " expires_ms, file_id";

  private final Jdbc jdbc;

  public JdbcFileRepository(Jdbc jdbc) {
    this.jdbc = jdbc;
  }

  @Override
  public void insert(
      StoredFile file, long quotaBytes, Optional<String> completesUpload, Runnable beforeCommit) {
    ensureAccount(file.organization());
    jdbc.inTransaction(
        c -> {
          try (var charge =
              c.prepareStatement(
                  "UPDATE storage_accounts SET bytes = bytes + ?, files = files + 1"
                      + " WHERE organization = ? AND (? = 0 OR bytes + ? <= ?)")) {
            charge.setLong(1, file.bytes());
            charge.setString(2, file.organization());
            charge.setLong(3, quotaBytes);
            charge.setLong(4, file.bytes());
            charge.setLong(5, quotaBytes);
            if (charge.executeUpdate() == 0) {
              throw new StorageQuotaExceededException(
                  usage(c, file.organization()).bytes(), file.bytes(), quotaBytes);
            }
          }
          try (var insert =
              c.prepareStatement(
                  "INSERT INTO files ("
                      + FILE_COLUMNS
                      + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            insert.setString(1, file.id());
            insert.setString(2, file.organization());
            insert.setString(3, file.createdBy());
            insert.setString(4, file.filename());
            insert.setString(5, file.purpose());
            insert.setLong(6, file.bytes());
            insert.setString(7, file.sha256());
            insert.setString(8, file.status().name());
            insert.setString(9, file.statusDetails().orElse(null));
            insert.setLong(10, file.createdMillis());
            insert.executeUpdate();
          }
          if (completesUpload.isPresent()) {
            try (var complete =
                c.prepareStatement(
                    "UPDATE uploads SET status = ?, file_id = ? WHERE id = ? AND status = ?")) {
              complete.setString(1, UploadStatus.COMPLETED.name());
              complete.setString(2, file.id());
              complete.setString(3, completesUpload.get());
              complete.setString(4, UploadStatus.PENDING.name());
              if (complete.executeUpdate() == 0) {
                throw notPending(completesUpload.get());
              }
            }
          }
          beforeCommit.run();
          return null;
        });
  }

  private void ensureAccount(String organization) {
    try {
      jdbc.autoCommit(
          c -> {
            try (var s =
                c.prepareStatement(
                    "INSERT INTO storage_accounts (organization, bytes, files)"
                        + " SELECT ?, 0, 0 WHERE NOT EXISTS"
                        + " (SELECT 1 FROM storage_accounts WHERE organization = ?)")) {
              s.setString(1, organization);
              s.setString(2, organization);
              return s.executeUpdate();
            }
          });
    } catch (Jdbc.DuplicateKey raced) {
      // another upload created it first
    }
  }

  @Override
  public Optional<StoredFile> find(String organization, String id) {
    return jdbc.autoCommit(
        c -> {
          try (var s =
              c.prepareStatement(
                  "SELECT " + FILE_COLUMNS + " FROM files WHERE organization = ? AND id = ?")) {
            s.setString(1, organization);
            s.setString(2, id);
            try (var rs = s.executeQuery()) {
              return rs.next() ? Optional.of(file(rs)) : Optional.<StoredFile>empty();
            }
          }
        });
  }

  @Override
  public List<StoredFile> list(
      String organization,
      Optional<String> purpose,
      int count,
      boolean ascending,
      Optional<StoredFile> after) {
    var sql = new StringBuilder("SELECT " + FILE_COLUMNS + " FROM files WHERE organization = ?");
    purpose.ifPresent(p -> sql.append(" AND purpose = ?"));
    after.ifPresent(
        a ->
            sql.append(
                ascending
                    ? " AND (created_ms > ? OR (created_ms = ? AND id > ?))"
                    : " AND (created_ms < ? OR (created_ms = ? AND id < ?))"));
    sql.append(
        ascending ? " ORDER BY created_ms ASC, id ASC" : " ORDER BY created_ms DESC, id DESC");
    sql.append(" LIMIT ?");
    return jdbc.autoCommit(
        c -> {
          try (var s = c.prepareStatement(sql.toString())) {
            int i = 1;
            s.setString(i++, organization);
            if (purpose.isPresent()) {
              s.setString(i++, purpose.get());
            }
            if (after.isPresent()) {
              s.setLong(i++, after.get().createdMillis());
              s.setLong(i++, after.get().createdMillis());
              s.setString(i++, after.get().id());
            }
            s.setInt(i, count);
            var files = new ArrayList<StoredFile>();
            try (var rs = s.executeQuery()) {
              while (rs.next()) {
                files.add(file(rs));
              }
            }
            return files;
          }
        });
  }

  @Override
  public Optional<StoredFile> delete(String organization, String id) {
    return jdbc.inTransaction(
        c -> {
          StoredFile file;
          try (var s =
              c.prepareStatement(
                  "SELECT "
                      + FILE_COLUMNS
                      + " FROM files WHERE organization = ? AND id = ? FOR UPDATE")) {
            s.setString(1, organization);
            s.setString(2, id);
            try (var rs = s.executeQuery()) {
              if (!rs.next()) {
                return Optional.<StoredFile>empty();
              }
              file = file(rs);
            }
          }
          var user = activeUser(c, id);
          if (user.isPresent()) {
            throw new FileInUseException(id, user.get());
          }
          try (var s = c.prepareStatement("DELETE FROM file_uses WHERE file_id = ?")) {
            s.setString(1, id);
            s.executeUpdate();
          }
          try (var s = c.prepareStatement("DELETE FROM files WHERE id = ?")) {
            s.setString(1, id);
            s.executeUpdate();
          }
          try (var s =
              c.prepareStatement(
                  "UPDATE storage_accounts SET bytes = bytes - ?, files = files - 1"
                      + " WHERE organization = ?")) {
            s.setLong(1, file.bytes());
            s.setString(2, organization);
            s.executeUpdate();
          }
          return Optional.of(file);
        });
  }

  @Override
  public StorageUsage usage(String organization) {
    return jdbc.autoCommit(c -> usage(c, organization));
  }

  private static StorageUsage usage(Connection c, String organization) throws SQLException {
    try (var s =
        c.prepareStatement("SELECT bytes, files FROM storage_accounts WHERE organization = ?")) {
      s.setString(1, organization);
      try (var rs = s.executeQuery()) {
        return rs.next() ? new StorageUsage(rs.getLong(1), rs.getLong(2)) : new StorageUsage(0, 0);
      }
    }
  }

  @Override
  public void insertUpload(Upload upload, long quotaBytes) {
    ensureAccount(upload.organization());
    jdbc.inTransaction(
        c -> {
          long stored;
          try (var s =
              c.prepareStatement(
                  "SELECT bytes FROM storage_accounts WHERE organization = ? FOR UPDATE")) {
            s.setString(1, upload.organization());
            try (var rs = s.executeQuery()) {
              stored = rs.next() ? rs.getLong(1) : 0;
            }
          }
          try (var s =
              c.prepareStatement(
                  "SELECT COALESCE(SUM(bytes), 0) FROM uploads"
                      + " WHERE organization = ? AND status = ? AND expires_ms > ?")) {
            s.setString(1, upload.organization());
            s.setString(2, UploadStatus.PENDING.name());
            s.setLong(3, upload.createdMillis());
            try (var rs = s.executeQuery()) {
              rs.next();
              stored += rs.getLong(1);
            }
          }
          if (quotaBytes > 0 && stored + upload.bytes() > quotaBytes) {
            throw new StorageQuotaExceededException(stored, upload.bytes(), quotaBytes);
          }
          try (var s =
              c.prepareStatement(
                  "INSERT INTO uploads ("
                      + UPLOAD_COLUMNS
                      + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            s.setString(1, upload.id());
            s.setString(2, upload.organization());
            s.setString(3, upload.createdBy());
            s.setString(4, upload.filename());
            s.setString(5, upload.purpose());
            s.setLong(6, upload.bytes());
            s.setString(7, upload.mimeType());
            s.setString(8, upload.status().name());
            s.setLong(9, upload.createdMillis());
            s.setLong(10, upload.expiresMillis());
            s.setString(11, upload.fileId().orElse(null));
            return s.executeUpdate();
          }
        });
  }

  @Override
  public List<String> overdueUploads(String organization, long nowMillis) {
    return jdbc.autoCommit(
        c -> {
          try (var s =
              c.prepareStatement(
                  "SELECT id FROM uploads WHERE organization = ? AND status = ? AND expires_ms < ?")) {
            s.setString(1, organization);
            s.setString(2, UploadStatus.PENDING.name());
            s.setLong(3, nowMillis);
            var ids = new ArrayList<String>();
            try (var rs = s.executeQuery()) {
              while (rs.next()) {
                ids.add(rs.getString(1));
              }
            }
            return ids;
          }
        });
  }

  @Override
  public Optional<Upload> findUpload(String organization, String id) {
    return jdbc.autoCommit(
        c -> {
          try (var s =
              c.prepareStatement(
                  "SELECT " + UPLOAD_COLUMNS + " FROM uploads WHERE organization = ? AND id = ?")) {
            s.setString(1, organization);
            s.setString(2, id);
            try (var rs = s.executeQuery()) {
              return rs.next() ? Optional.of(upload(rs)) : Optional.<Upload>empty();
            }
          }
        });
  }

  @Override
  public void insertPart(UploadPart part, Runnable beforeCommit) {
    jdbc.inTransaction(
        c -> {
          long announced;
          try (var s =
              c.prepareStatement("SELECT status, bytes FROM uploads WHERE id = ? FOR UPDATE")) {
            s.setString(1, part.uploadId());
            try (var rs = s.executeQuery()) {
              if (!rs.next() || !UploadStatus.PENDING.name().equals(rs.getString(1))) {
                throw notPending(part.uploadId());
              }
              announced = rs.getLong(2);
            }
          }
          long stored;
          try (var s =
              c.prepareStatement(
                  "SELECT COALESCE(SUM(bytes), 0) FROM upload_parts WHERE upload_id = ?")) {
            s.setString(1, part.uploadId());
            try (var rs = s.executeQuery()) {
              rs.next();
              stored = rs.getLong(1);
            }
          }
          if (stored + part.bytes() > announced) {
            throw new InvalidFileRequestException(
                "The parts of upload "
                    + part.uploadId()
                    + " would hold "
                    + (stored + part.bytes())
                    + " bytes, more than the "
                    + announced
                    + " announced when it was created.",
                "data");
          }
          try (var s =
              c.prepareStatement(
                  "INSERT INTO upload_parts (id, upload_id, bytes, created_ms) VALUES (?, ?, ?, ?)")) {
            s.setString(1, part.id());
            s.setString(2, part.uploadId());
            s.setLong(3, part.bytes());
            s.setLong(4, part.createdMillis());
            s.executeUpdate();
          }
          beforeCommit.run();
          return null;
        });
  }

  @Override
  public List<UploadPart> parts(String uploadId) {
    return jdbc.autoCommit(c -> parts(c, uploadId));
  }

  private static List<UploadPart> parts(Connection c, String uploadId) throws SQLException {
    try (var s =
        c.prepareStatement(
            "SELECT id, upload_id, bytes, created_ms FROM upload_parts WHERE upload_id = ?")) {
      s.setString(1, uploadId);
      var parts = new ArrayList<UploadPart>();
      try (var rs = s.executeQuery()) {
        while (rs.next()) {
          parts.add(new UploadPart(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4)));
        }
      }
      return parts;
    }
  }

  @Override
  public List<UploadPart> closeUpload(String uploadId, UploadStatus status) {
    return jdbc.inTransaction(
        c -> {
          try (var s = c.prepareStatement("SELECT status FROM uploads WHERE id = ? FOR UPDATE")) {
            s.setString(1, uploadId);
            try (var rs = s.executeQuery()) {
              if (!rs.next()
                  || !(UploadStatus.PENDING.name().equals(rs.getString(1))
                      || UploadStatus.COMPLETED.name().equals(rs.getString(1))
                          && status == UploadStatus.COMPLETED)) {
                throw notPending(uploadId);
              }
            }
          }
          var parts = parts(c, uploadId);
          try (var s = c.prepareStatement("DELETE FROM upload_parts WHERE upload_id = ?")) {
            s.setString(1, uploadId);
            s.executeUpdate();
          }
          if (status != UploadStatus.COMPLETED) {
            try (var s =
                c.prepareStatement("UPDATE uploads SET status = ? WHERE id = ? AND status = ?")) {
              s.setString(1, status.name());
              s.setString(2, uploadId);
              s.setString(3, UploadStatus.PENDING.name());
              s.executeUpdate();
            }
          }
          return parts;
        });
  }

  @Override
  public void begin(String fileId, String userKind, String userId) {
    jdbc.inTransaction(
        c -> {
          try (var s =
              c.prepareStatement(
                  "UPDATE file_uses SET active = TRUE"
                      + " WHERE file_id = ? AND user_kind = ? AND user_id = ?")) {
            s.setString(1, fileId);
            s.setString(2, userKind);
            s.setString(3, userId);
            if (s.executeUpdate() > 0) {
              return null;
            }
          }
          try (var s =
              c.prepareStatement(
                  "INSERT INTO file_uses (file_id, user_kind, user_id, active, created_ms)"
                      + " VALUES (?, ?, ?, TRUE, ?)")) {
            s.setString(1, fileId);
            s.setString(2, userKind);
            s.setString(3, userId);
            s.setLong(4, System.currentTimeMillis());
            s.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public void end(String fileId, String userKind, String userId) {
    jdbc.autoCommit(
        c -> {
          try (var s =
              c.prepareStatement(
                  "UPDATE file_uses SET active = FALSE"
                      + " WHERE file_id = ? AND user_kind = ? AND user_id = ?")) {
            s.setString(1, fileId);
            s.setString(2, userKind);
            s.setString(3, userId);
            return s.executeUpdate();
          }
        });
  }

  @Override
  public Optional<String> activeUser(String fileId) {
    return jdbc.autoCommit(c -> activeUser(c, fileId));
  }

  private static Optional<String> activeUser(Connection c, String fileId) throws SQLException {
    try (var s =
        c.prepareStatement(
            "SELECT user_kind, user_id FROM file_uses WHERE file_id = ? AND active = TRUE"
                + " ORDER BY created_ms LIMIT 1")) {
      s.setString(1, fileId);
      try (var rs = s.executeQuery()) {
        return rs.next()
            ? Optional.of(rs.getString(1) + " " + rs.getString(2))
            : Optional.<String>empty();
      }
    }
  }

  private static InvalidFileRequestException notPending(String uploadId) {
    return new InvalidFileRequestException(
        "upload_not_pending",
        "Upload " + uploadId + " is not pending: it was completed, cancelled or has expired.",
        "upload_id");
  }

  private static StoredFile file(ResultSet rs) throws SQLException {
    return new StoredFile(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        rs.getLong(6),
        rs.getString(7).strip(),
        FileStatus.valueOf(rs.getString(8)),
        Optional.ofNullable(rs.getString(9)),
        rs.getLong(10));
  }

  private static Upload upload(ResultSet rs) throws SQLException {
    return new Upload(
        rs.getString(1),
        rs.getString(2),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        rs.getLong(6),
        rs.getString(7),
        UploadStatus.valueOf(rs.getString(8)),
        rs.getLong(9),
        rs.getLong(10),
        Optional.ofNullable(rs.getString(11)));
  }
}
