package io.parley.gateway.api.rest;

import io.parley.files.v1.File;
import io.parley.files.v1.Upload;
import io.parley.files.v1.UploadPart;
import io.parley.gateway.api.rest.dto.FileObject;
import io.parley.gateway.api.rest.dto.UploadObject;
import io.parley.gateway.api.rest.dto.UploadPartObject;

/** The files service's messages as OpenAI objects. */
final class FileObjects {

  private FileObjects() {}

  static FileObject of(File f) {
    return new FileObject(
        f.getId(),
        "file",
        f.getBytes(),
        f.getCreatedAt(),
        f.getFilename(),
        f.getPurpose(),
        switch (f.getStatus()) {
          case FILE_STATUS_UPLOADED -> "uploaded";
          case FILE_STATUS_ERROR -> "error";
          default -> "processed";
        },
        f.getStatusDetails().isEmpty() ? null : f.getStatusDetails());
  }

  static UploadObject of(Upload u) {
    return new UploadObject(
        u.getId(),
        "upload",
        u.getBytes(),
        u.getCreatedAt(),
        u.getFilename(),
        u.getPurpose(),
        switch (u.getStatus()) {
          case UPLOAD_STATUS_COMPLETED -> "completed";
          case UPLOAD_STATUS_CANCELLED -> "cancelled";
          case UPLOAD_STATUS_EXPIRED -> "expired";
          default -> "pending";
        },
        u.getExpiresAt(),
        u.hasFile() ? of(u.getFile()) : null);
  }

  static UploadPartObject of(UploadPart p) {
    return new UploadPartObject(p.getId(), "upload.part", p.getCreatedAt(), p.getUploadId());
  }
}
