/**
 * The gateway's use cases: authenticate a caller (bootstrap admin key, or keys resolved by the
 * usage service), admit a generation (rate limits, leased budget) and bill it through the usage
 * outbox, list models, generate text (one call per prompt, whole or streamed) and run a chat or
 * legacy completion from screening to billing ({@link GenerationFlow}), administer the caller's
 * organization. Transport-free; the REST layer maps requests to these and results back. The
 * services they call are ports declared here ({@link InferenceBackend}, {@link UsageBackend},
 * {@link EmbeddingsBackend}, {@link SafetyBackend}, {@link FileBackend}, {@link FineTuningBackend},
 * {@link FineTunedModels}, {@link UsageOutbox}, {@link ChangeFeed}, {@link AdminKeySource}),
 * implemented in {@code infrastructure}; nothing here depends on an infrastructure class.
 */
package io.parley.gateway.application;
