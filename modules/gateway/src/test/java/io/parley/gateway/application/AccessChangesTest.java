package io.parley.gateway.application;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.gateway.domain.OrganizationLimits;
import io.parley.gateway.domain.RateLimits;
import io.parley.usage.v1.Limits;
import java.time.InstantSource;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Changes made here are applied here and published; changes received are applied. */
class AccessChangesTest {

  private ScriptedUsage usage;
  private TestFeed feed;
  private Authentication authentication;
  private LimitsCatalog limits;
  private AccessChanges changes;

  @BeforeEach
  void start() throws Exception {
    usage = new ScriptedUsage();
    feed = new TestFeed();
    authentication =
        new Authentication(
            new ApiKeyAuthenticator(() -> "sk-admin-000000000000"),
            usage.client(),
            "org-x",
            60_000,
            0,
            System::nanoTime,
            InstantSource.system(),
            feed);
    limits = new LimitsCatalog(usage.client(), OrganizationLimits.NONE, 60_000, System::nanoTime);
    changes = new AccessChanges(authentication, limits, Unconfigured.screening(), feed);
  }

  @AfterEach
  void stop() {
    usage.close();
  }

  private void authenticate() {
    authentication.authenticate(Optional.of("Bearer " + ScriptedUsage.OWNER_KEY), Optional.empty());
  }

  @Test
  void accessChangedHere_flushesAtOnce_andIsPublished() {
    authenticate();
    changes.accessChanged();
    authenticate();
    assertThat(usage.authentications).hasSize(2);
    assertThat(feed.published).containsExactly("access");
  }

  @Test
  void accessChangedOnAnotherReplica_flushesHere() {
    authenticate();
    feed.receive("access");
    authenticate();
    assertThat(usage.authentications).hasSize(2);
  }

  @Test
  void limitsChangedOnAnotherReplica_areReadAgain() {
    usage.limits.put("org-a", Limits.newBuilder().setRequestsPerMinute(5).build());
    assertThat(limits.of("org-a").organization()).isEqualTo(new RateLimits(5, 0));
    usage.limits.put("org-a", Limits.newBuilder().setRequestsPerMinute(7).build());
    assertThat(limits.of("org-a").organization()).isEqualTo(new RateLimits(5, 0));
    feed.receive("limits:org-a");
    assertThat(limits.of("org-a").organization()).isEqualTo(new RateLimits(7, 0));
  }
}
