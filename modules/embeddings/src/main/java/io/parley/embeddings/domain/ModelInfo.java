package io.parley.embeddings.domain;

/**
 * What the model listing shows about an embedding model.
 *
 * @param id model id
 * @param ownedBy owner shown by {@code /v1/models}
 * @param created creation time, seconds since the epoch
 * @param dimensions native vector size (0 while a remote engine has not told it yet)
 * @param supportsDimensions whether a smaller vector may be asked for (Matryoshka truncation)
 * @param maxInputTokens tokens one input may have, special tokens included
 */
public record ModelInfo(
    String id,
    String ownedBy,
    long created,
    int dimensions,
    boolean supportsDimensions,
    int maxInputTokens) {}
