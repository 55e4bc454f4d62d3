package io.parley.trainer.train;

/**
 * One step's metrics; validation values are present on the steps that ran a validation (the last
 * step of each epoch), {@code null} otherwise.
 *
 * @param tokens tokens the step trained on (assistant or completion tokens)
 */
public record StepMetrics(
    int step,
    int epoch,
    double trainLoss,
    double trainMeanTokenAccuracy,
    Double validLoss,
    Double validMeanTokenAccuracy,
    double learningRate,
    long tokens,
    double elapsedSeconds) {}
