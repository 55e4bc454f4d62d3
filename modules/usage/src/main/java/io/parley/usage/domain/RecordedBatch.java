package io.parley.usage.domain;

import java.util.List;

/**
 * What recording a batch of usage records did.
 *
 * @param outcomes one per record, in the order given
 * @param notifications soft-limit notifications the batch raised
 */
public record RecordedBatch(List<RecordOutcome> outcomes, List<Notification> notifications) {

  public RecordedBatch {
    outcomes = List.copyOf(outcomes);
    notifications = List.copyOf(notifications);
  }
}
