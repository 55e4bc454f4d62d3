package io.parley.gateway.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.gateway.domain.AuthenticationException;
import io.parley.gateway.domain.PermissionDeniedException;
import io.parley.gateway.domain.Role;
import io.parley.gateway.domain.ServiceUnavailableException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AuthenticationTest {

  private static final String ADMIN_KEY = "sk-parley-admin-00000000000000000";

  private final AtomicLong now = new AtomicLong();
  private final AtomicLong wallMillis = new AtomicLong(1_800_000_000_000L);
  private final TestFeed feed = new TestFeed();
  private ScriptedUsage usage;
  private Authentication authentication;

  @BeforeEach
  void start() throws Exception {
    usage = new ScriptedUsage();
    authentication =
        new Authentication(
            new ApiKeyAuthenticator(() -> ADMIN_KEY),
            usage.client(),
            "org-admin",
            5_000,
            0,
            now::get,
            () -> java.time.Instant.ofEpochMilli(wallMillis.get()),
            feed);
  }

  @AfterEach
  void stop() {
    usage.close();
  }

  @Test
  void usageDown_keysAcceptedRecently_keepWorking_untilTheyAreStale() {
    var tolerant =
        new Authentication(
            new ApiKeyAuthenticator(() -> ADMIN_KEY),
            usage.client(),
            "org-admin",
            5_000,
            600,
            now::get,
            () -> java.time.Instant.ofEpochMilli(wallMillis.get()),
            feed);
    var bearer = Optional.of("Bearer " + ScriptedUsage.OWNER_KEY);
    tolerant.authenticate(bearer, Optional.empty());
    usage.down.set(true);
    now.addAndGet(60_000_000_000L); // past the cache time: the usage service is asked, and fails

    assertThat(tolerant.authenticate(bearer, Optional.empty()).organization()).isEqualTo("org-a");
    assertThat(usage.authentications).hasSize(2);
    // A key never seen is not let in.
    assertThatThrownBy(
            () ->
                tolerant.authenticate(
                    Optional.of("Bearer " + ScriptedUsage.READER_KEY), Optional.empty()))
        .isInstanceOf(ServiceUnavailableException.class);
    // Nor a known key once its answer is older than the stale time.
    now.addAndGet(600_000_000_000L);
    assertThatThrownBy(() -> tolerant.authenticate(bearer, Optional.empty()))
        .isInstanceOf(ServiceUnavailableException.class);
  }

  @Test
  void usageDown_withoutStaleAnswers_refuses() {
    authenticate(ScriptedUsage.OWNER_KEY, null);
    usage.down.set(true);
    now.addAndGet(6_000_000_000L);

    assertThatThrownBy(() -> authenticate(ScriptedUsage.OWNER_KEY, null))
        .isInstanceOf(ServiceUnavailableException.class);
  }

  @Test
  void usageKey_resolvesToOrganizationUserAndRole() {
    var caller = authenticate(ScriptedUsage.READER_KEY, null);

    assertThat(caller.organization()).isEqualTo("org-a");
    assertThat(caller.role()).isEqualTo(Role.READER);
    assertThat(caller.administrator()).isFalse();
  }

  @Test
  void positiveAnswers_areCachedForTheConfiguredTime_thenAskedAgain() {
    authenticate(ScriptedUsage.OWNER_KEY, null);
    authenticate(ScriptedUsage.OWNER_KEY, null);
    assertThat(usage.authentications).hasSize(1);

    usage.revoked.put(ScriptedUsage.OWNER_KEY, "");
    now.addAndGet(4_999_000_000L);
    assertThat(authenticate(ScriptedUsage.OWNER_KEY, null).organization()).isEqualTo("org-a");

    now.addAndGet(1_000_000L);
    assertThatThrownBy(() -> authenticate(ScriptedUsage.OWNER_KEY, null))
        .isInstanceOf(AuthenticationException.class)
        .hasMessageStartingWith("Incorrect API key provided: sk-pa");
    assertThat(usage.authentications).hasSize(2);
  }

  @Test
  void cache_isPerOrganizationAskedFor() {
    authenticate(ScriptedUsage.READER_KEY, null);
    var other = authenticate(ScriptedUsage.READER_KEY, "org-b");

    assertThat(other.organization()).isEqualTo("org-b");
    assertThat(usage.authentications).hasSize(2);
  }

  @Test
  void cache_isKeyedByTheKeysDigest_notTheKey() {
    assertThat(Authentication.sha256(ScriptedUsage.OWNER_KEY))
        .hasSize(64)
        .doesNotContain(ScriptedUsage.OWNER_KEY);
  }

  @Test
  void refusals_areNotCached() {
    assertThatThrownBy(() -> authenticate("sk-unknown-key-1234567890", null))
        .isInstanceOf(AuthenticationException.class);
    assertThatThrownBy(() -> authenticate("sk-unknown-key-1234567890", null))
        .isInstanceOf(AuthenticationException.class);
    assertThat(usage.authentications).hasSize(2);
  }

  @Test
  void organizationTheKeyCannotUse_is401MismatchedOrganization() {
    assertThatThrownBy(() -> authenticate(ScriptedUsage.OWNER_KEY, "org-zzz"))
        .isInstanceOfSatisfying(
            AuthenticationException.class,
            e -> {
              assertThat(e.status()).isEqualTo(401);
              assertThat(e.code()).contains("mismatched_organization");
              assertThat(e.getMessage())
                  .isEqualTo("OpenAI-Organization header should match organization for API key");
            });
  }

  @Test
  void adminKey_worksInItsBootstrapOrganization_askingUsageOnce() {
    // The usage service registered the admin key as the owner of the organization it created
    // first; here the scripted service knows it as OWNER_KEY of org-a.
    var admin =
        new Authentication(
            new ApiKeyAuthenticator(() -> ScriptedUsage.OWNER_KEY),
            usage.client(),
            "org-admin",
            5_000,
            0,
            now::get,
            () -> java.time.Instant.ofEpochMilli(wallMillis.get()),
            feed);
    var bearer = Optional.of("Bearer " + ScriptedUsage.OWNER_KEY);

    var caller = admin.authenticate(bearer, Optional.empty());
    assertThat(caller.organization()).isEqualTo("org-a");
    assertThat(caller.administrator()).isTrue();
    assertThat(admin.authenticate(bearer, Optional.of("org-b")).organization()).isEqualTo("org-b");
    assertThat(admin.authenticate(bearer, Optional.empty()).organization()).isEqualTo("org-a");
    assertThat(usage.authentications).hasSize(1);
  }

  @Test
  void withoutUsage_onlyTheAdminKeyAndItsOrganizationWork() {
    var adminOnly =
        new Authentication(
            new ApiKeyAuthenticator(() -> ADMIN_KEY),
            Unconfigured.usage(),
            "org-admin",
            5_000,
            0,
            now::get,
            () -> java.time.Instant.ofEpochMilli(wallMillis.get()),
            feed);

    assertThat(
            adminOnly
                .authenticate(Optional.of("Bearer " + ADMIN_KEY), Optional.of("org-admin"))
                .role())
        .isEqualTo(Role.OWNER);
    assertThatThrownBy(
            () ->
                adminOnly.authenticate(
                    Optional.of("Bearer " + ScriptedUsage.OWNER_KEY), Optional.empty()))
        .hasMessageStartingWith("Incorrect API key provided");
    assertThatThrownBy(
            () -> adminOnly.authenticate(Optional.of("Bearer " + ADMIN_KEY), Optional.of("org-x")))
        .hasMessage("OpenAI-Organization header should match organization for API key");
    assertThatThrownBy(() -> adminOnly.authenticate(Optional.empty(), Optional.empty()))
        .hasMessageStartingWith("You didn't provide an API key.");
  }

  @Test
  void reader_cannotDoOwnerActions_owner_can() {
    var reader = authenticate(ScriptedUsage.READER_KEY, null);
    var owner = authenticate(ScriptedUsage.OWNER_KEY, null);

    reader.require(Role.READER);
    owner.require(Role.OWNER);
    assertThatThrownBy(() -> reader.require(Role.OWNER))
        .isInstanceOfSatisfying(
            PermissionDeniedException.class,
            e -> {
              assertThat(e.status()).isEqualTo(403);
              assertThat(e.code()).contains("permission_error");
            });
  }

  @Test
  void cachedAnswer_endsAtTheKeysExpiry_notTheCacheTime() {
    usage.expiresAt.put(ScriptedUsage.OWNER_KEY, wallMillis.get() / 1000 + 2);
    authenticate(ScriptedUsage.OWNER_KEY, null);
    now.addAndGet(1_999_000_000L);
    wallMillis.addAndGet(1_999);
    authenticate(ScriptedUsage.OWNER_KEY, null);
    assertThat(usage.authentications).hasSize(1);

    // at expiry the cached answer is gone: the usage service is asked (and refuses)
    usage.revoked.put(ScriptedUsage.OWNER_KEY, "");
    now.addAndGet(1_000_000L);
    wallMillis.addAndGet(1);
    assertThatThrownBy(() -> authenticate(ScriptedUsage.OWNER_KEY, null))
        .isInstanceOf(AuthenticationException.class);
    assertThat(usage.authentications).hasSize(2);
  }

  @Test
  void whileTheChangeFeedIsDown_cachedAnswersAreNotTrusted() {
    authenticate(ScriptedUsage.OWNER_KEY, null);
    feed.live = false;
    authenticate(ScriptedUsage.OWNER_KEY, null);
    authenticate(ScriptedUsage.OWNER_KEY, null);
    assertThat(usage.authentications).hasSize(3);
  }

  @Test
  void forgetAll_dropsEveryCachedAnswer() {
    authenticate(ScriptedUsage.OWNER_KEY, null);
    authentication.forgetAll();
    authenticate(ScriptedUsage.OWNER_KEY, null);
    assertThat(usage.authentications).hasSize(2);
  }

  @Test
  void hugeKeyOrOrganization_isRefusedWithoutAskingUsage() {
    var huge = "sk-" + "x".repeat(1_000_000);
    assertThatThrownBy(() -> authenticate(huge, null))
        .isInstanceOfSatisfying(
            AuthenticationException.class,
            e -> {
              assertThat(e.status()).isEqualTo(401);
              assertThat(e.getMessage().length()).isLessThan(300);
            });
    assertThatThrownBy(() -> authenticate(ScriptedUsage.OWNER_KEY, "org-" + "x".repeat(10_000)))
        .isInstanceOf(AuthenticationException.class);
    assertThat(usage.authentications).isEmpty();
  }

  private io.parley.gateway.domain.Caller authenticate(String key, String organization) {
    return authentication.authenticate(
        Optional.of("Bearer " + key), Optional.ofNullable(organization));
  }
}
