package io.parley.gateway.application;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

/**
 * Makes changes of access take effect at once: the gateway that made a change drops what it cached
 * before it answers, and tells every other replica through the {@link ChangeFeed}, which drop
 * theirs when the message arrives (milliseconds with Redis). Changes: {@code access} (a role, a
 * membership, a key, a service account: every cached authentication goes), {@code limits:<org>},
 * {@code policy:<org>}, and {@code reset} (the feed reconnected: everything goes).
 */
@ApplicationScoped
public class AccessChanges {

  static final String ACCESS = "access";
  static final String LIMITS = "limits:";
  static final String POLICY = "policy:";

  private Authentication authentication;
  private LimitsCatalog limits;
  private ContentScreening screening;
  private ChangeFeed feed;

  /** For CDI proxies. */
  protected AccessChanges() {}

  @Inject
  public AccessChanges(
      Authentication authentication,
      LimitsCatalog limits,
      ContentScreening screening,
      ChangeFeed feed) {
    this.authentication = authentication;
    this.limits = limits;
    this.screening = screening;
    this.feed = feed;
    feed.subscribe(this::apply);
  }

  void onStart(@Observes @Initialized(ApplicationScoped.class) Object event) {
    // Created (and subscribed to the feed) at deployment rather than on the first change.
  }

  /** A role, membership, key or service account changed. */
  public void accessChanged() {
    authentication.forgetAll();
    feed.publish(ACCESS);
  }

  /** An organization's limits changed. */
  public void limitsChanged(String organization) {
    limits.forget(organization);
    feed.publish(LIMITS + organization);
  }

  /** An organization's moderation policy changed. */
  public void policyChanged(String organization) {
    screening.forget(organization);
    feed.publish(POLICY + organization);
  }

  /** Applies a change another replica (or the feed itself) sent. */
  void apply(String change) {
    if (change.startsWith(LIMITS)) {
      limits.forget(change.substring(LIMITS.length()));
    } else if (change.startsWith(POLICY)) {
      screening.forget(change.substring(POLICY.length()));
    } else {
      authentication.forgetAll();
      if (!change.equals(ACCESS)) {
        limits.forgetAll();
        screening.forgetAll();
      }
    }
  }
}
