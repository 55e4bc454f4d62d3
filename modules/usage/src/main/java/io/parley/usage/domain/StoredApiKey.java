package io.parley.usage.domain;

/**
 * A key as stored: its metadata and the SHA-256 of its secret.
 *
 * @param info metadata
 * @param secretHash SHA-256 of the secret (32 bytes)
 */
public record StoredApiKey(ApiKeyInfo info, byte[] secretHash) {}
