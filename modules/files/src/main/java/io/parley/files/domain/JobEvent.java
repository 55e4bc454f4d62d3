package io.parley.files.domain;

import java.util.Optional;

/**
 * Something that happened to a job.
 *
 * @param id {@code ftevent-…}
 * @param createdMillis when
 * @param level {@code info}, {@code warn} or {@code error}
 * @param type {@code message} or {@code metrics}
 * @param message what happened
 * @param data a JSON object (metrics: step, train_loss, …), if any
 */
public record JobEvent(
    String id,
    long createdMillis,
    String level,
    String type,
    String message,
    Optional<String> data) {}
