package io.parley.usage.application;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.usage.domain.ConflictException;
import io.parley.usage.domain.InvalidApiKeyException;
import io.parley.usage.domain.MismatchedOrganizationException;
import io.parley.usage.domain.Role;
import io.parley.usage.testsupport.MutableClock;
import io.parley.usage.testsupport.Stack;
import io.parley.usage.testsupport.TestDatabases;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys, authentication, roles and the bootstrap on PostgreSQL. */
class AccountServiceTest {

  private static final String BOOTSTRAP_KEY = "sk-" + "B".repeat(48);
  private static final MutableClock CLOCK = new MutableClock(Instant.parse("2026-11-10T12:00:00Z"));

  @TempDir static Path dir;
  private static String schema;
  private static Stack stack;

  @BeforeAll
  static void open() throws Exception {
    var keyFile = dir.resolve("admin-key");
    Files.writeString(keyFile, BOOTSTRAP_KEY + "\n");
    schema = TestDatabases.newSchema();
    stack = Stack.over(TestDatabases.postgres(schema, 2), CLOCK, Optional.of(keyFile), n -> {});
    stack.accounts().bootstrap();
    stack.accounts().bootstrap();
  }

  @AfterAll
  static void close() {
    stack.database().close();
    TestDatabases.dropSchema(schema);
  }

  @Test
  void bootstrapKey_authenticatesAsTheFirstOwner() {
    var principal = stack.accounts().authenticate(BOOTSTRAP_KEY, "");
    assertThat(principal.role()).isEqualTo(Role.OWNER);
    assertThat(principal.organizationName()).isEqualTo("Default organization");
    assertThat(stack.accounts().members(principal.organizationId()))
        .singleElement()
        .satisfies(m -> assertThat(m.email()).isEqualTo("admin@localhost"));
    assertThat(stack.accounts().apiKeys(principal.organizationId(), "", false)).hasSize(1);
  }

  @Test
  void secrets_areNeverStored_onlyTheirHash() throws Exception {
    var created = stack.accounts().createOrganization("Keys", "keys@acme.test");
    var key =
        stack.accounts().createApiKey(created.organization().id(), created.ownerUserId(), "k", 0);
    var dump = new StringBuilder();
    try (var c = stack.database().jdbc().dataSource().getConnection();
        var tables =
            c.createStatement()
                .executeQuery(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = '"
                        + schema
                        + "'")) {
      var names = new java.util.ArrayList<String>();
      while (tables.next()) {
        names.add(tables.getString(1));
      }
      for (var table : names) {
        try (var rs = c.createStatement().executeQuery("SELECT * FROM \"" + table + "\"")) {
          int columns = rs.getMetaData().getColumnCount();
          while (rs.next()) {
            for (int i = 1; i <= columns; i++) {
              dump.append(rs.getString(i)).append('|');
            }
          }
        }
      }
    }
    assertThat(dump).contains(key.info().id());
    assertThat(dump.toString()).doesNotContain(key.secret());
    assertThat(dump.toString()).doesNotContain(key.secret().substring(11));
    assertThat(dump.toString()).doesNotContain(BOOTSTRAP_KEY);
    assertThat(dump.toString()).doesNotContain(BOOTSTRAP_KEY.substring(11));
  }

  @Test
  void revokedKey_isRejected_withTheSameMessage() {
    var created = stack.accounts().createOrganization("Revoke", "revoke@acme.test");
    var org = created.organization().id();
    var key = stack.accounts().createApiKey(org, created.ownerUserId(), "k", 0);
    assertThat(stack.accounts().authenticate(key.secret(), "").apiKeyId())
        .isEqualTo(key.info().id());

    stack.accounts().revokeApiKey(org, key.info().id());

    assertThatThrownBy(() -> stack.accounts().authenticate(key.secret(), ""))
        .isInstanceOf(InvalidApiKeyException.class)
        .hasMessage(InvalidApiKeyException.MESSAGE);
    assertThatThrownBy(() -> stack.accounts().authenticate("sk-" + "x".repeat(48), ""))
        .isInstanceOf(InvalidApiKeyException.class)
        .hasMessage(InvalidApiKeyException.MESSAGE);
  }

  @Test
  void expiredKey_isRejected() {
    var created = stack.accounts().createOrganization("Expiry", "expiry@acme.test");
    var org = created.organization().id();
    long expires = CLOCK.millis() / 1000 + 60;
    var key = stack.accounts().createApiKey(org, created.ownerUserId(), "k", expires);
    stack.accounts().authenticate(key.secret(), "");
    CLOCK.advance(Duration.ofMinutes(2));
    assertThatThrownBy(() -> stack.accounts().authenticate(key.secret(), ""))
        .isInstanceOf(InvalidApiKeyException.class);
    assertThat(stack.accounts().apiKeys(org, "", false).getFirst().lastUsedAt()).isPositive();
  }

  @Test
  void roles_andOrganizationHeader() {
    var a = stack.accounts().createOrganization("A", "alice@acme.test");
    var b = stack.accounts().createOrganization("B", "bob@acme.test");
    var aliceKey =
        stack.accounts().createApiKey(a.organization().id(), a.ownerUserId(), "alice", 0);

    assertThatThrownBy(
            () -> stack.accounts().authenticate(aliceKey.secret(), b.organization().id()))
        .isInstanceOf(MismatchedOrganizationException.class)
        .hasFieldOrPropertyWithValue("reason", "mismatched_organization");

    stack.accounts().putMember(b.organization().id(), a.ownerUserId(), Role.READER);
    var inB = stack.accounts().authenticate(aliceKey.secret(), b.organization().id());
    assertThat(inB.role()).isEqualTo(Role.READER);
    assertThat(inB.apiKeyOrganizationId()).isEqualTo(a.organization().id());
    assertThat(stack.accounts().organizationsOf(a.ownerUserId())).hasSize(2);

    assertThatThrownBy(
            () -> stack.accounts().putMember(b.organization().id(), b.ownerUserId(), Role.READER))
        .isInstanceOf(ConflictException.class);
    stack.accounts().removeMember(b.organization().id(), a.ownerUserId());
    assertThatThrownBy(
            () -> stack.accounts().authenticate(aliceKey.secret(), b.organization().id()))
        .isInstanceOf(MismatchedOrganizationException.class);
  }
}
