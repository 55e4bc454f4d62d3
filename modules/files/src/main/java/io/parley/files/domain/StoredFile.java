package io.parley.files.domain;

import java.util.Optional;

/**
 * A file of an organization.
 *
 * @param id {@code file-…}
 * @param organization owning organization
 * @param createdBy user who uploaded it (empty for the admin key)
 * @param filename name given at upload
 * @param purpose purpose ({@code fine-tune}, {@code batch}, …)
 * @param bytes size
 * @param sha256 SHA-256 of the content, lower-case hex
 * @param status validation state
 * @param statusDetails why validation failed
 * @param createdMillis creation time, milliseconds since the epoch
 */
public record StoredFile(
    String id,
    String organization,
    String createdBy,
    String filename,
    String purpose,
    long bytes,
    String sha256,
    FileStatus status,
    Optional<String> statusDetails,
    long createdMillis) {}
