package io.parley.files.domain;

/**
 * What an organization stores.
 *
 * @param bytes bytes of its files
 * @param files number of files
 */
public record StorageUsage(long bytes, long files) {}
