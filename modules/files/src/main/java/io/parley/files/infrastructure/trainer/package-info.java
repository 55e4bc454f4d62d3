/**
 * Runners of the {@code parley-trainer} command behind {@link io.parley.files.domain.JobRunner}: a
 * child process of the files service ({@link
 * io.parley.files.infrastructure.trainer.LocalProcessRunner}) or a Kubernetes Job per attempt
 * ({@link io.parley.files.infrastructure.trainer.KubernetesJobRunner}), both with the same command
 * line.
 */
package io.parley.files.infrastructure.trainer;
