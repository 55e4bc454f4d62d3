package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.gateway.application.AccessChanges;
import io.parley.gateway.application.ApiKeyAuthenticator;
import io.parley.gateway.application.Authentication;
import io.parley.gateway.application.LimitsCatalog;
import io.parley.gateway.application.OrganizationAdmin;
import io.parley.gateway.application.ScriptedUsage;
import io.parley.gateway.application.TestFeed;
import io.parley.gateway.application.Unconfigured;
import io.parley.gateway.application.UsageBackend;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.InvalidRequestException;
import io.parley.gateway.domain.OrganizationLimits;
import io.parley.gateway.domain.PermissionDeniedException;
import io.parley.gateway.domain.Role;
import jakarta.ws.rs.core.MultivaluedHashMap;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin API's role checks and OpenAI shapes, against an in-process usage service. */
class OrganizationResourceTest {

  private static final Caller OWNER = new Caller("org-a", "user-o", Role.OWNER, "key-o", false);
  private static final Caller READER = new Caller("org-a", "user-r", Role.READER, "key-r", false);

  private ScriptedUsage usage;
  private OrganizationAdmin admin;
  private OrganizationResource resource;

  @BeforeEach
  void start() throws Exception {
    usage = new ScriptedUsage();
    admin = admin(usage.client());
    resource = new OrganizationResource(admin, 1 << 20);
  }

  @AfterEach
  void stop() {
    usage.close();
  }

  private static final Caller SERVICE =
      new Caller("org-a", "svc-acct-1", Role.OWNER, "key-s", false, true);
  private static final Caller PLATFORM_ADMIN =
      new Caller("org-a", Authentication.ADMIN_USER, Role.OWNER, "key-admin", true);

  private final TestFeed feed = new TestFeed();

  private OrganizationAdmin admin(UsageBackend client) {
    return admin(client, false);
  }

  private OrganizationAdmin admin(UsageBackend client, boolean selfService) {
    var authentication =
        new Authentication(
            new ApiKeyAuthenticator(() -> "sk-admin-0000000000"),
            client,
            "org-x",
            0,
            0,
            System::nanoTime,
            java.time.InstantSource.system(),
            feed);
    return new OrganizationAdmin(
        client,
        new AccessChanges(
            authentication,
            new LimitsCatalog(client, OrganizationLimits.NONE, 0, System::nanoTime),
            Unconfigured.screening(),
            feed),
        selfService,
        3);
  }

  @Test
  void reader_cannotManageMembersInvitesServiceAccountsOrLimits_is403() {
    assertThatThrownBy(() -> admin.addMember(READER, "a@b.c", Role.READER))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> admin.updateMemberRole(READER, "user-o", Role.READER))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> admin.removeMember(READER, "user-o"))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> admin.createInvite(READER, "a@b.c", Role.OWNER))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> admin.createServiceAccount(READER, "bot", Role.OWNER))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(
            () -> admin.setLimits(READER, io.parley.usage.v1.Limits.getDefaultInstance()))
        .isInstanceOf(PermissionDeniedException.class);
  }

  @Test
  void nobodyButThePlatformAdmin_mintsAKeyForSomeoneElse_orAddsAMemberDirectly() {
    assertThatThrownBy(() -> admin.createApiKey(OWNER, "x", Optional.of("user-victim"), 0))
        .isInstanceOf(PermissionDeniedException.class)
        .hasMessageContaining("platform administrator");
    assertThatThrownBy(() -> admin.createApiKey(READER, "x", Optional.of("user-o"), 0))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> admin.addMember(OWNER, "victim@example.test", Role.OWNER))
        .isInstanceOf(PermissionDeniedException.class);
    assertThat(
            admin
                .createApiKey(PLATFORM_ADMIN, "first", Optional.of("user-new"), 0)
                .getApiKey()
                .getUser())
        .isEqualTo("user-new");
  }

  @Test
  void serviceAccounts_cannotMintKeysCreateOrganizationsOrAcceptInvites() {
    assertThatThrownBy(() -> admin.createApiKey(SERVICE, "x", Optional.empty(), 0))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(
            () -> admin(usage.client(), true).createOrganization(SERVICE, "o", Optional.empty()))
        .isInstanceOf(PermissionDeniedException.class);
    assertThatThrownBy(() -> admin.acceptInvite(SERVICE, "invite-1"))
        .isInstanceOf(PermissionDeniedException.class);
  }

  @Test
  void creatingOrganizations_isForThePlatformAdmin_unlessSelfServiceIsOn() {
    assertThatThrownBy(() -> admin.createOrganization(OWNER, "mine", Optional.empty()))
        .isInstanceOf(PermissionDeniedException.class)
        .hasMessageContaining("platform administrator");
    var selfService = admin(usage.client(), true);
    assertThatThrownBy(
            () -> selfService.createOrganization(READER, "theirs", Optional.of("user-victim")))
        .isInstanceOf(PermissionDeniedException.class);
    selfService.createOrganization(READER, "mine", Optional.empty());
    assertThat(usage.organizationsCreated)
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getOwnerUser()).isEqualTo("user-r");
              assertThat(r.getCreatedBy()).isEqualTo("user-r");
              assertThat(r.getMaxPerCreator()).isEqualTo(3);
            });
  }

  @Test
  void revocationsAndRoleChanges_flushHere_andTellTheOtherReplicas() {
    admin.revokeApiKey(OWNER, "key-1");
    assertThat(feed.published).containsExactly("access");
  }

  @Test
  void reader_createsAKeyForThemselves() {
    var created = admin.createApiKey(READER, "mine", Optional.empty(), 0);
    assertThat(created.getApiKey().getUser()).isEqualTo("user-r");
  }

  @Test
  void owner_createsAKey_andGetsTheSecretOnce() {
    var created = admin.createApiKey(OWNER, "ci", Optional.empty(), 0);
    var json = OrganizationResource.apiKey(created.getApiKey());

    assertThat(created.getSecret()).startsWith("sk-parley-");
    assertThat(json.get("object").asText()).isEqualTo("organization.api_key");
    assertThat(json.get("owner").get("id").asText()).isEqualTo("user-o");
    assertThat(json.has("value")).isFalse();
  }

  @Test
  void usageCompletions_isShapedLikeOpenAis() {
    var query = new MultivaluedHashMap<String, String>();
    query.add("start_time", "1700000000");
    query.add("group_by", "model");

    var page = resource.usagePage(READER, query);

    assertThat(page.get("object").asText()).isEqualTo("page");
    assertThat(page.get("has_more").asBoolean()).isFalse();
    assertThat(page.get("data")).hasSize(2);
    var first = page.get("data").get(0);
    assertThat(first.get("object").asText()).isEqualTo("bucket");
    assertThat(first.get("start_time").asLong()).isEqualTo(1_700_000_000L);
    assertThat(first.get("end_time").asLong()).isEqualTo(1_700_086_400L);
    assertThat(first.get("results")).hasSize(2);
    var result = first.get("results").get(0);
    assertThat(result.get("object").asText()).isEqualTo("organization.usage.completions.result");
    assertThat(result.get("input_tokens").asLong()).isEqualTo(10);
    assertThat(result.get("output_tokens").asLong()).isEqualTo(20);
    assertThat(result.get("num_model_requests").asLong()).isEqualTo(2);
    assertThat(result.get("model").asText()).isEqualTo("stories");
    assertThat(result.get("api_key_id").isNull()).isTrue();
    assertThat(page.get("data").get(1).get("results")).isEmpty();
  }

  @Test
  void usageCompletions_validatesItsParameters() {
    var noStart = new MultivaluedHashMap<String, String>();
    assertThatThrownBy(() -> resource.usagePage(READER, noStart))
        .isInstanceOfSatisfying(
            InvalidRequestException.class, e -> assertThat(e.param()).contains("start_time"));
    var badWidth = new MultivaluedHashMap<String, String>();
    badWidth.add("start_time", "0");
    badWidth.add("bucket_width", "1w");
    assertThatThrownBy(() -> resource.usagePage(READER, badWidth))
        .isInstanceOfSatisfying(
            InvalidRequestException.class, e -> assertThat(e.param()).contains("bucket_width"));
  }

  @Test
  void withoutUsageService_adminEndpointsSaySo() {
    var adminOnly = admin(Unconfigured.usage());

    assertThatThrownBy(() -> adminOnly.members(OWNER))
        .isInstanceOfSatisfying(
            GatewayException.class,
            e -> assertThat(e.code()).contains("usage_service_not_configured"));
  }
}
