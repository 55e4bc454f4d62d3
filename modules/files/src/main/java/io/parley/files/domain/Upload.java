package io.parley.files.domain;

import java.util.Optional;

/**
 * A multi-part upload (the Uploads API).
 *
 * @param id {@code upload_…}
 * @param organization owning organization
 * @param createdBy user who created it
 * @param filename name of the file to be
 * @param purpose purpose of the file to be
 * @param bytes total size announced
 * @param mimeType MIME type announced
 * @param status state
 * @param createdMillis creation time
 * @param expiresMillis expiry time
 * @param fileId the file made of it, once completed
 */
public record Upload(
    String id,
    String organization,
    String createdBy,
    String filename,
    String purpose,
    long bytes,
    String mimeType,
    UploadStatus status,
    long createdMillis,
    long expiresMillis,
    Optional<String> fileId) {

  /** This upload in another state. */
  public Upload withStatus(UploadStatus newStatus, Optional<String> newFileId) {
    return new Upload(
        id,
        organization,
        createdBy,
        filename,
        purpose,
        bytes,
        mimeType,
        newStatus,
        createdMillis,
        expiresMillis,
        newFileId);
  }
}
