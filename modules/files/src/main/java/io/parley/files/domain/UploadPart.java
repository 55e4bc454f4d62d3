package io.parley.files.domain;

/**
 * A part of an upload; its bytes are a blob named by {@link #blobKey()}.
 *
 * @param id {@code part_…}
 * @param uploadId the upload
 * @param bytes size
 * @param createdMillis creation time
 */
public record UploadPart(String id, String uploadId, long bytes, long createdMillis) {

  /** Blob key of the part's bytes. */
  public String blobKey() {
    return "parts/" + id;
  }
}
