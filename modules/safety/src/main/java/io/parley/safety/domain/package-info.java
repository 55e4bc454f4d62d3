/**
 * What moderation is about, free of transport and runtime: the OpenAI categories, the classifier
 * (linear heads over sentence embeddings and the rules that turn them into categories), results,
 * screening policies and the service's error family ({@link
 * io.parley.safety.domain.SafetyException}).
 */
package io.parley.safety.domain;
