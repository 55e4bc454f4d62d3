package io.parley.inference.domain;

/**
 * One of the most likely tokens at a position.
 *
 * @param token token id
 * @param text the token's text (bytes that are not valid UTF-8 on their own appear as U+FFFD)
 * @param bytes the token's raw bytes
 * @param logprob natural log of its probability
 */
public record TopLogprob(int token, String text, byte[] bytes, double logprob) {}
