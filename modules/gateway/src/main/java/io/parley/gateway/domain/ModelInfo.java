package io.parley.gateway.domain;

/**
 * A model the platform serves, as {@code /v1/models} shows it.
 *
 * @param id model id used in requests
 * @param created creation time, seconds since the epoch
 * @param ownedBy owner
 */
public record ModelInfo(String id, long created, String ownedBy) {}
