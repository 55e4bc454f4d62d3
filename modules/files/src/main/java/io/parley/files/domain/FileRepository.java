package io.parley.files.domain;

import java.util.List;
import java.util.Optional;

/** Stores file and upload records and each organization's storage account. */
public interface FileRepository {

  /**
   * Inserts a file and charges its bytes to the organization, in one transaction that also runs
   * {@code beforeCommit} (which commits the blob) just before committing. When the transaction
   * fails after {@code beforeCommit} ran, the caller deletes the blob.
   *
   * @param quotaBytes the organization's quota; 0 for none
   * @param completesUpload the upload this file completes (its state becomes completed in the same
   *     transaction; it must still be pending)
   * @throws StorageQuotaExceededException when the file would pass the quota
   */
  void insert(
      StoredFile file, long quotaBytes, Optional<String> completesUpload, Runnable beforeCommit);

  /** A file of an organization. */
  Optional<StoredFile> find(String organization, String id);

  /**
   * A page of an organization's files by creation time.
   *
   * @param purpose only this purpose, when present
   * @param count how many at most
   * @param ascending oldest first when true
   * @param after start after this file (which must belong to the organization)
   */
  List<StoredFile> list(
      String organization,
      Optional<String> purpose,
      int count,
      boolean ascending,
      Optional<StoredFile> after);

  /**
   * Deletes a file and credits its bytes, unless a job uses it.
   *
   * @return the deleted file; empty when there is none
   * @throws FileInUseException when an active use is recorded
   */
  Optional<StoredFile> delete(String organization, String id);

  /** What an organization stores. */
  StorageUsage usage(String organization);

  /**
   * Inserts a new upload, reserving its announced bytes: refused when the organization's files and
   * the announced bytes of its open uploads would pass {@code quotaBytes} (0 = unlimited). Checked
   * under the organization's storage account lock, so concurrent uploads cannot both pass.
   *
   * @throws StorageQuotaExceededException past the quota
   */
  void insertUpload(Upload upload, long quotaBytes);

  /** An upload of an organization. */
  Optional<Upload> findUpload(String organization, String id);

  /** Ids of an organization's uploads still pending whose time ran out before {@code nowMillis}. */
  List<String> overdueUploads(String organization, long nowMillis);

  /**
   * Records a part whose blob is written, in one transaction that also runs {@code beforeCommit}
   * (which commits the part's blob).
   *
   * @throws InvalidFileRequestException when the upload is no longer pending, or the parts would
   *     pass the upload's announced size
   */
  void insertPart(UploadPart part, Runnable beforeCommit);

  /** The parts of an upload, in no particular order. */
  List<UploadPart> parts(String uploadId);

  /**
   * Moves a pending upload to {@code status} and forgets its parts' records.
   *
   * @return the parts that were dropped (their blobs are the caller's to delete)
   * @throws InvalidFileRequestException when the upload is not pending
   */
  List<UploadPart> closeUpload(String uploadId, UploadStatus status);
}
