package io.parley.safety.training;

/**
 * One labelled text for one head.
 *
 * @param text the text, cleaned as the trainer reads it
 * @param source dataset it came from
 * @param positive whether it belongs to the head's class
 */
public record Example(String text, String source, boolean positive) {}
