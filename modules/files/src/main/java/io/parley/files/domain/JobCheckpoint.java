package io.parley.files.domain;

import java.util.OptionalDouble;

/**
 * A checkpoint written at the end of an epoch; its adapter is served as {@code fineTunedModel}.
 *
 * @param id {@code ftckpt-…}
 * @param jobId the job
 * @param epoch the epoch that ended
 * @param step step number
 * @param trainLoss training loss of the step
 * @param trainAccuracy mean token accuracy of the step
 * @param validLoss validation loss, when a validation file was given
 * @param validAccuracy validation mean token accuracy
 * @param fineTunedModel the model id serving this checkpoint
 * @param createdMillis when
 */
public record JobCheckpoint(
    String id,
    String jobId,
    int epoch,
    int step,
    double trainLoss,
    double trainAccuracy,
    OptionalDouble validLoss,
    OptionalDouble validAccuracy,
    String fineTunedModel,
    long createdMillis) {}
