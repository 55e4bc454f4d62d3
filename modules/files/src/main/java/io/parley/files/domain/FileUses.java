package io.parley.files.domain;

import java.util.Optional;

/**
 * The "file in use" port: who uses a file right now (for example a fine-tuning job that trains on
 * it). The fine-tuning jobs record a use when they start and end it when they finish; a file with
 * an active use cannot be deleted.
 */
public interface FileUses {

  /**
   * Records that {@code userKind}/{@code userId} (for example {@code fine_tuning.job}/{@code
   * ftjob-…}) uses a file from now on.
   */
  void begin(String fileId, String userKind, String userId);

  /** Ends a use; nothing happens when there is none. */
  void end(String fileId, String userKind, String userId);

  /** One active user of a file, as {@code kind id}, if any. */
  Optional<String> activeUser(String fileId);
}
