/**
 * Offline training and evaluation of the moderation heads (run by the {@code train-moderation} and
 * {@code evaluate-moderation} Maven profiles, never by the service): dataset loaders,
 * L2-regularised logistic regression, cross-validation, prototype heads and the metrics.
 */
package io.parley.safety.training;
