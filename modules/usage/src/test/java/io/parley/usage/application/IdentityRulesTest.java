package io.parley.usage.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.usage.domain.ConflictException;
import io.parley.usage.domain.ForbiddenException;
import io.parley.usage.domain.InvalidApiKeyException;
import io.parley.usage.domain.InvalidUsageRequestException;
import io.parley.usage.domain.InviteStatus;
import io.parley.usage.domain.Limits;
import io.parley.usage.domain.MismatchedOrganizationException;
import io.parley.usage.domain.ModerationPolicy;
import io.parley.usage.domain.NotFoundException;
import io.parley.usage.domain.Role;
import io.parley.usage.testsupport.MutableClock;
import io.parley.usage.testsupport.Stack;
import io.parley.usage.testsupport.TestDatabases;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Invitations, service accounts, the self-service cap, default limits, persistent policies and
 * input bounds, on PostgreSQL.
 */
class IdentityRulesTest {

  private static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-11-10T12:00:00Z"));
  private static final Limits TIER = new Limits(60, 10_000, 0, 5_000_000, List.of());

  private static String schema;
  private static Stack stack;

  @BeforeAll
  static void open() {
    schema = TestDatabases.newSchema();
    stack = Stack.over(TestDatabases.postgres(schema, 4), CLOCK, Optional.empty(), n -> {}, TIER);
  }

  @AfterAll
  static void close() {
    stack.database().close();
    TestDatabases.dropSchema(schema);
  }

  private static String unique(String name) {
    return name + System.nanoTime() + "@example.test";
  }

  @Test
  void newOrganization_startsWithTheDefaultTier() {
    var org = stack.accounts().createOrganization("Tier", unique("tier")).organization().id();
    assertThat(stack.accounts().limits(org)).isEqualTo(TIER);
  }

  @Test
  void invite_isAcceptedOnlyByThePersonItNames() {
    var a = stack.accounts().createOrganization("A", unique("alice"));
    var b = stack.accounts().createOrganization("B", unique("bob"));
    var mallory = stack.accounts().createOrganization("M", unique("mallory"));
    var bobEmail = stack.accounts().members(b.organization().id()).getFirst().email();
    var invite =
        stack
            .accounts()
            .createInvite(a.organization().id(), bobEmail, Role.READER, a.ownerUserId(), 0);
    assertThat(invite.statusAt(CLOCK.millis() / 1000)).isEqualTo(InviteStatus.PENDING);

    assertThatThrownBy(() -> stack.accounts().acceptInvite(invite.id(), mallory.ownerUserId()))
        .isInstanceOf(ForbiddenException.class);
    assertThat(stack.accounts().organizationsOf(mallory.ownerUserId())).hasSize(1);

    var accepted = stack.accounts().acceptInvite(invite.id(), b.ownerUserId());
    assertThat(accepted.acceptedAt()).isPositive();
    assertThat(stack.accounts().organizationsOf(b.ownerUserId())).hasSize(2);
    assertThatThrownBy(() -> stack.accounts().acceptInvite(invite.id(), b.ownerUserId()))
        .isInstanceOf(ConflictException.class);
    assertThatThrownBy(() -> stack.accounts().deleteInvite(a.organization().id(), invite.id()))
        .isInstanceOf(ConflictException.class);
  }

  @Test
  void invite_expires_andCannotBeAcceptedAfterwards() {
    var a = stack.accounts().createOrganization("A", unique("exp"));
    var b = stack.accounts().createOrganization("B", unique("late"));
    var email = stack.accounts().members(b.organization().id()).getFirst().email();
    var invite = stack.accounts().createInvite(a.organization().id(), email, Role.OWNER, "", 60);
    CLOCK.advance(Duration.ofSeconds(61));
    assertThat(
            stack
                .accounts()
                .invite(a.organization().id(), invite.id())
                .statusAt(CLOCK.millis() / 1000))
        .isEqualTo(InviteStatus.EXPIRED);
    assertThatThrownBy(() -> stack.accounts().acceptInvite(invite.id(), b.ownerUserId()))
        .isInstanceOf(ConflictException.class);
    assertThat(stack.accounts().organizationsOf(b.ownerUserId())).hasSize(1);
  }

  @Test
  void invite_ofAnotherOrganization_isNotFound_andDuplicatesAreRefused() {
    var a = stack.accounts().createOrganization("A", unique("dup"));
    var other = stack.accounts().createOrganization("O", unique("other"));
    var invite =
        stack.accounts().createInvite(a.organization().id(), unique("x"), Role.READER, "", 0);
    assertThatThrownBy(() -> stack.accounts().invite(other.organization().id(), invite.id()))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> stack.accounts().deleteInvite(other.organization().id(), invite.id()))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(
            () ->
                stack
                    .accounts()
                    .createInvite(a.organization().id(), invite.email(), Role.READER, "", 0))
        .isInstanceOf(ConflictException.class);
    var ownerEmail = stack.accounts().members(a.organization().id()).getFirst().email();
    assertThatThrownBy(
            () ->
                stack
                    .accounts()
                    .createInvite(a.organization().id(), ownerEmail, Role.READER, "", 0))
        .isInstanceOf(ConflictException.class);
    stack.accounts().deleteInvite(a.organization().id(), invite.id());
    assertThat(stack.accounts().invites(a.organization().id())).isEmpty();
  }

  @Test
  void serviceAccountKey_actsOnlyInItsOrganization() {
    var a = stack.accounts().createOrganization("A", unique("svc"));
    var b = stack.accounts().createOrganization("B", unique("svcb"));
    var created =
        stack.accounts().createServiceAccount(a.organization().id(), "ci bot", Role.READER);
    var principal = stack.accounts().authenticate(created.key().secret(), "");
    assertThat(principal.serviceAccount()).isTrue();
    assertThat(principal.organizationId()).isEqualTo(a.organization().id());
    assertThat(principal.role()).isEqualTo(Role.READER);
    assertThatThrownBy(
            () -> stack.accounts().authenticate(created.key().secret(), b.organization().id()))
        .isInstanceOf(MismatchedOrganizationException.class);
    // never added to another organization, never given a person's key, never listed as a person
    assertThatThrownBy(
            () ->
                stack
                    .accounts()
                    .putMember(b.organization().id(), created.account().id(), Role.OWNER))
        .isInstanceOf(InvalidUsageRequestException.class);
    assertThatThrownBy(
            () ->
                stack
                    .accounts()
                    .createApiKey(a.organization().id(), created.account().id(), "more", 0))
        .isInstanceOf(ForbiddenException.class);
    assertThat(stack.accounts().members(a.organization().id()))
        .noneMatch(m -> m.userId().equals(created.account().id()));
    assertThat(stack.accounts().serviceAccounts(a.organization().id())).hasSize(1);

    stack.accounts().deleteServiceAccount(a.organization().id(), created.account().id());
    assertThatThrownBy(() -> stack.accounts().authenticate(created.key().secret(), ""))
        .isInstanceOf(InvalidApiKeyException.class);
  }

  @Test
  void selfServiceCap_holdsUnderConcurrentCreation() throws Exception {
    var first = stack.accounts().createOrganization("Home", unique("greedy"));
    var creator = first.ownerUserId();
    var made = new ConcurrentLinkedQueue<String>();
    var refused = new ConcurrentLinkedQueue<Throwable>();
    try (var pool = Executors.newFixedThreadPool(8)) {
      var futures = new ArrayList<java.util.concurrent.Future<?>>();
      for (int i = 0; i < 30; i++) {
        int n = i;
        futures.add(
            pool.submit(
                () -> {
                  try {
                    made.add(
                        stack
                            .accounts()
                            .createOrganization("Self " + n, creator, creator, 3)
                            .organization()
                            .id());
                  } catch (ConflictException e) {
                    refused.add(e);
                  }
                }));
      }
      for (var f : futures) {
        f.get();
      }
    }
    assertThat(made).hasSize(3);
    assertThat(refused).hasSize(27);
  }

  @Test
  void moderationPolicy_persists_defaultUntilSet() {
    var org = stack.accounts().createOrganization("P", unique("policy")).organization().id();
    assertThat(stack.accounts().moderationPolicy(org))
        .isEqualTo(new ModerationPolicy(false, false));
    stack.accounts().setModerationPolicy(org, new ModerationPolicy(true, false));
    assertThat(stack.accounts().moderationPolicy(org)).isEqualTo(new ModerationPolicy(true, false));
  }

  @Test
  void oversizedInputs_areRefused_andNothingIsWritten() {
    var org = stack.accounts().createOrganization("Bounds", unique("bounds")).organization().id();
    var before = stack.accounts().limits(org);
    var many = new ArrayList<Limits.ModelRateLimit>();
    for (int i = 0; i < 100_000; i++) {
      many.add(new Limits.ModelRateLimit("m" + i, 1, 1));
    }
    assertThatThrownBy(() -> stack.accounts().setLimits(org, new Limits(1, 1, 0, 0, many)))
        .isInstanceOf(InvalidUsageRequestException.class);
    assertThat(stack.accounts().limits(org)).isEqualTo(before);
    assertThatThrownBy(
            () ->
                stack
                    .accounts()
                    .createInvite(org, "a".repeat(100_000) + "@example.test", Role.READER, "", 0))
        .isInstanceOf(InvalidUsageRequestException.class);
    assertThatThrownBy(() -> stack.accounts().createInvite(org, "not-an-email", Role.READER, "", 0))
        .isInstanceOf(InvalidUsageRequestException.class);
    assertThatThrownBy(
            () -> stack.accounts().createOrganization("n".repeat(1_000_000), unique("o")))
        .isInstanceOf(InvalidUsageRequestException.class);
    assertThatThrownBy(() -> stack.accounts().revokeApiKey(org, "k".repeat(10_000)))
        .isInstanceOf(InvalidUsageRequestException.class);
    assertThatThrownBy(() -> stack.accounts().authenticate("sk-" + "x".repeat(1_000_000), ""))
        .isInstanceOf(InvalidApiKeyException.class);
    assertThat(stack.accounts().invites(org)).isEmpty();
  }

  @Test
  void demotion_takesEffectOnTheNextAuthentication() {
    var a = stack.accounts().createOrganization("Demote", unique("first"));
    var second = stack.accounts().putMember(a.organization().id(), unique("second"), Role.OWNER);
    var key = stack.accounts().createApiKey(a.organization().id(), second, "k", 0);
    assertThat(stack.accounts().authenticate(key.secret(), "").role()).isEqualTo(Role.OWNER);
    stack.accounts().updateMemberRole(a.organization().id(), second, Role.READER);
    assertThat(stack.accounts().authenticate(key.secret(), "").role()).isEqualTo(Role.READER);
    assertThatThrownBy(
            () ->
                stack
                    .accounts()
                    .updateMemberRole(a.organization().id(), a.ownerUserId(), Role.READER))
        .isInstanceOf(ConflictException.class);
  }

  @Test
  void keyExpiry_isReportedForCallersThatCache() {
    var a = stack.accounts().createOrganization("Exp", unique("expiry"));
    long at = CLOCK.millis() / 1000 + 30;
    var key = stack.accounts().createApiKey(a.organization().id(), a.ownerUserId(), "k", at);
    assertThat(stack.accounts().authenticate(key.secret(), "").apiKeyExpiresAt()).isEqualTo(at);
    assertThatThrownBy(
            () ->
                stack
                    .accounts()
                    .createApiKey(a.organization().id(), a.ownerUserId(), "past", at - 60))
        .isInstanceOf(InvalidUsageRequestException.class);
  }
}
