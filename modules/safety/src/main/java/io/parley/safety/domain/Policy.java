package io.parley.safety.domain;

/**
 * An organization's screening policy.
 *
 * @param screenInput moderate prompts of chat and completions before generation
 * @param screenOutput moderate generated text
 */
public record Policy(boolean screenInput, boolean screenOutput) {}
