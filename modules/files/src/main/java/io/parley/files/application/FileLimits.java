package io.parley.files.application;

import java.time.Duration;

/**
 * Sizes and counts the files service enforces.
 *
 * @param maxFileBytes largest file
 * @param quotaBytes bytes an organization may store (0 = unlimited)
 * @param maxLineBytes longest line of a fine-tune file
 * @param minExamples fewest examples of a fine-tune file
 * @param maxPartBytes largest part of a multi-part upload
 * @param maxParts most parts of a multi-part upload
 * @param uploadTtl how long a multi-part upload stays open
 */
public record FileLimits(
    long maxFileBytes,
    long quotaBytes,
    int maxLineBytes,
    int minExamples,
    long maxPartBytes,
    int maxParts,
    Duration uploadTtl) {}
