package io.parley.inference.domain;

/**
 * Static facts about a loaded model.
 *
 * @param id model identifier clients use in requests
 * @param ownedBy owner reported in the model listing
 * @param createdEpochSeconds creation time reported in the model listing
 * @param contextLength tokens available to one sequence (prompt plus completion)
 * @param vocabSize number of tokens in the vocabulary; valid token ids are {@code 0..vocabSize-1}
 * @param supportsFillInTheMiddle whether the model has fill-in-the-middle tokens, so a prompt
 *     suffix is accepted
 */
public record ModelInfo(
    String id,
    String ownedBy,
    long createdEpochSeconds,
    int contextLength,
    int vocabSize,
    boolean supportsFillInTheMiddle) {}
