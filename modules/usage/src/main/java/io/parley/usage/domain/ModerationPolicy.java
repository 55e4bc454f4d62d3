package io.parley.usage.domain;

/**
 * An organization's moderation policy.
 *
 * @param screenInput screen prompts of chat and completions before generation
 * @param screenOutput screen generated text
 */
public record ModerationPolicy(boolean screenInput, boolean screenOutput) {}
