package io.parley.usage.application;

import io.parley.usage.domain.Notification;

/** Receives notifications once they are recorded (for example a webhook). */
@FunctionalInterface
public interface NotificationSink {

  /** Delivers one notification; must not block the caller for long. */
  void deliver(Notification notification);

  /** A sink that does nothing. */
  NotificationSink NONE = n -> {};
}
