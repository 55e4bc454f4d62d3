package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import it.io.parley.system.TenantStack.Reply;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Who may do what, end to end: two real gateway replicas (sharing Redis, with a 30 s auth cache so
 * only the change feed can make changes quick), the real usage service on PostgreSQL, and the real
 * inference, embeddings and safety services. Replica 1 allows self-service organizations (at most 3
 * per person); replica 0 does not.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class IdentityIT {

  static final ObjectMapper JSON = new ObjectMapper();
  static TenantStack stack;
  static HttpClient http;
  static World world;

  /** Who calls. */
  enum Actor {
    ADMIN,
    OWNER,
    READER,
    SERVICE_ACCOUNT,
    OTHER_ORGANIZATION,
    REVOKED_KEY,
    EXPIRED_KEY,
    INVITED_NOT_ACCEPTED
  }

  /** The organizations, people and keys of the test. */
  record World(
      String acme,
      String beta,
      String ownerUser,
      String victimUser,
      String inviteToBeta,
      Map<Actor, String> keys,
      Map<Actor, String> emails) {}

  @BeforeAll
  static void start() throws Exception {
    var base = ParleyStack.shared();
    stack =
        new TenantStack(
            Map.of(
                "PARLEY_GATEWAY_AUTH_CACHE_MS",
                "30000",
                "PARLEY_GATEWAY_LIMITS_CACHE_MS",
                "30000",
                "PARLEY_EMBEDDINGS_TARGET",
                "127.0.0.1:" + base.embeddingsGrpcPort,
                "PARLEY_SAFETY_TARGET",
                "127.0.0.1:" + base.safetyGrpcPort),
            Map.of(
                "PARLEY_GATEWAY_ORGANIZATIONS_SELF_SERVICE", "true",
                "PARLEY_GATEWAY_ORGANIZATIONS_MAX_PER_PERSON", "3"));
    http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    world = buildWorld();
  }

  @AfterAll
  static void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  static Reply call(int replica, String method, String path, String key, String org, String body)
      throws Exception {
    return stack.call(replica, method, path, key, org, body);
  }

  static JsonNode ok(Reply reply) {
    assertThat(reply.status()).as(reply.body().toString()).isEqualTo(200);
    return reply.body();
  }

  static String admin(String method, String path, String org, String body) throws Exception {
    return ok(call(0, method, path, stack.adminKey, org, body)).toString();
  }

  static JsonNode adminJson(String method, String path, String org, String body) throws Exception {
    return ok(call(0, method, path, stack.adminKey, org, body));
  }

  static String unique(String name) {
    return name + "-" + Long.toHexString(System.nanoTime()) + "@identity.test";
  }

  /** An organization the administrator creates; returns its id and its owner's user id. */
  static String[] organization(String name, String ownerEmail) throws Exception {
    var created =
        adminJson(
            "POST",
            "/organizations",
            null,
            "{\"name\":\"" + name + "\",\"owner\":\"" + ownerEmail + "\"}");
    return new String[] {created.path("id").asText(), created.path("owner").asText()};
  }

  /** A person's first key, issued by the administrator in one of their organizations. */
  static String firstKey(String org, String user, long expiresAt) throws Exception {
    return adminJson(
            "POST",
            "/organization/api_keys",
            org,
            "{\"name\":\"first\",\"user_id\":\""
                + user
                + "\""
                + (expiresAt > 0 ? ",\"expires_at\":" + expiresAt : "")
                + "}")
        .path("value")
        .asText();
  }

  static World buildWorld() throws Exception {
    var keys = new EnumMap<Actor, String>(Actor.class);
    var emails = new EnumMap<Actor, String>(Actor.class);
    keys.put(Actor.ADMIN, stack.adminKey);

    emails.put(Actor.OWNER, unique("owner"));
    var acme = organization("acme", emails.get(Actor.OWNER));
    keys.put(Actor.OWNER, firstKey(acme[0], acme[1], 0));

    // The reader joins acme the way people do: invited by the owner, accepted with their own key.
    emails.put(Actor.READER, unique("reader"));
    var readerHome = organization("reader-home", emails.get(Actor.READER));
    keys.put(Actor.READER, firstKey(readerHome[0], readerHome[1], 0));
    var invite =
        ok(
            call(
                0,
                "POST",
                "/organization/invites",
                keys.get(Actor.OWNER),
                acme[0],
                "{\"email\":\"" + emails.get(Actor.READER) + "\",\"role\":\"reader\"}"));
    assertThat(invite.path("object").asText()).isEqualTo("organization.invite");
    assertThat(invite.path("id").asText()).startsWith("invite-");
    assertThat(invite.path("status").asText()).isEqualTo("pending");
    var accepted =
        ok(
            call(
                1,
                "POST",
                "/organization/invites/" + invite.path("id").asText() + "/accept",
                keys.get(Actor.READER),
                null,
                null));
    assertThat(accepted.path("status").asText()).isEqualTo("accepted");
    assertThat(accepted.path("accepted_at").asLong()).isPositive();

    var service =
        ok(
            call(
                0,
                "POST",
                "/organization/service_accounts",
                keys.get(Actor.OWNER),
                acme[0],
                "{\"name\":\"ci\",\"role\":\"owner\"}"));
    keys.put(Actor.SERVICE_ACCOUNT, service.path("api_key").path("value").asText());

    emails.put(Actor.OTHER_ORGANIZATION, unique("globex"));
    var globex = organization("globex", emails.get(Actor.OTHER_ORGANIZATION));
    keys.put(Actor.OTHER_ORGANIZATION, firstKey(globex[0], globex[1], 0));

    var revoked =
        ok(
            call(
                0,
                "POST",
                "/organization/api_keys",
                keys.get(Actor.OWNER),
                acme[0],
                "{\"name\":\"to revoke\"}"));
    keys.put(Actor.REVOKED_KEY, revoked.path("value").asText());
    ok(
        call(
            0,
            "DELETE",
            "/organization/api_keys/" + revoked.path("id").asText(),
            keys.get(Actor.OWNER),
            acme[0],
            null));

    long expiresAt = Instant.now().getEpochSecond() + 2;
    keys.put(Actor.EXPIRED_KEY, firstKey(acme[0], acme[1], expiresAt));

    emails.put(Actor.INVITED_NOT_ACCEPTED, unique("invited"));
    var invitedHome = organization("invited-home", emails.get(Actor.INVITED_NOT_ACCEPTED));
    keys.put(Actor.INVITED_NOT_ACCEPTED, firstKey(invitedHome[0], invitedHome[1], 0));
    ok(
        call(
            0,
            "POST",
            "/organization/invites",
            keys.get(Actor.OWNER),
            acme[0],
            "{\"email\":\"" + emails.get(Actor.INVITED_NOT_ACCEPTED) + "\",\"role\":\"owner\"}"));

    // A third organization whose invitation only the invited person can accept.
    var beta = organization("beta", unique("beta-owner"));
    var toBeta =
        adminJson(
            "POST",
            "/organization/invites",
            beta[0],
            "{\"email\":\"" + emails.get(Actor.INVITED_NOT_ACCEPTED) + "\",\"role\":\"reader\"}");

    long waitMs = expiresAt * 1000 - System.currentTimeMillis() + 100;
    if (waitMs > 0) {
      Thread.sleep(waitMs);
    }
    // A person of acme nobody but the administrator may mint keys for.
    var victim =
        adminJson(
                "POST",
                "/organization/users",
                acme[0],
                "{\"email\":\"" + unique("victim") + "\",\"role\":\"owner\"}")
            .path("id")
            .asText();
    return new World(acme[0], beta[0], acme[1], victim, toBeta.path("id").asText(), keys, emails);
  }

  /** A request of one cell: method, path, body, and whether it runs without the org header. */
  record Cell(String method, String path, String body, boolean noOrganization) {
    Cell(String method, String path, String body) {
      this(method, path, body, false);
    }
  }

  /** One action of the matrix: how to make its request and the expected status per actor. */
  record Action(String name, CellMaker make, Map<Actor, Integer> expected) {}

  @FunctionalInterface
  interface CellMaker {
    Cell make(Actor actor) throws Exception;
  }

  static final AtomicInteger counter = new AtomicInteger();

  static Map<Actor, Integer> expect(int admin, int owner, int reader, int service) {
    var map = new EnumMap<Actor, Integer>(Actor.class);
    map.put(Actor.ADMIN, admin);
    map.put(Actor.OWNER, owner);
    map.put(Actor.READER, reader);
    map.put(Actor.SERVICE_ACCOUNT, service);
    map.put(Actor.OTHER_ORGANIZATION, 401);
    map.put(Actor.REVOKED_KEY, 401);
    map.put(Actor.EXPIRED_KEY, 401);
    map.put(Actor.INVITED_NOT_ACCEPTED, 401);
    return map;
  }

  static Map<Actor, Integer> everyMember(int status) {
    return expect(status, status, status, status);
  }

  static Map<Actor, Integer> managers(int status) {
    return expect(status, status, 403, status);
  }

  /** A member the administrator adds for one cell; returns the user id. */
  static String throwawayMember() throws Exception {
    return adminJson(
            "POST",
            "/organization/users",
            world.acme(),
            "{\"email\":\"" + unique("tmp") + "\",\"role\":\"reader\"}")
        .path("id")
        .asText();
  }

  static List<Action> actions() {
    var chat =
        "{\"model\":\""
            + ParleyStack.MODEL
            + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":1}";
    var completion =
        "{\"model\":\"" + ParleyStack.MODEL + "\",\"prompt\":\"Once\",\"max_tokens\":1}";
    var embedding = "{\"model\":\"all-minilm-l6-v2\",\"input\":\"hello\"}";
    var moderation = "{\"input\":\"hello\"}";
    var list = new ArrayList<Action>();
    list.add(new Action("GET models", a -> new Cell("GET", "/models", null), everyMember(200)));
    list.add(
        new Action(
            "POST chat", a -> new Cell("POST", "/chat/completions", chat), everyMember(200)));
    list.add(
        new Action(
            "POST completions",
            a -> new Cell("POST", "/completions", completion),
            everyMember(200)));
    list.add(
        new Action(
            "POST embeddings", a -> new Cell("POST", "/embeddings", embedding), everyMember(200)));
    list.add(
        new Action(
            "POST moderations",
            a -> new Cell("POST", "/moderations", moderation),
            everyMember(200)));
    list.add(
        new Action(
            "GET usage",
            a -> new Cell("GET", "/organization/usage/completions?start_time=" + hourAgo(), null),
            everyMember(200)));
    list.add(
        new Action(
            "GET costs",
            a -> new Cell("GET", "/organization/costs?start_time=" + hourAgo(), null),
            everyMember(200)));
    list.add(
        new Action(
            "GET organizations", a -> new Cell("GET", "/organizations", null), everyMember(200)));
    list.add(
        new Action(
            "POST organizations",
            a ->
                new Cell(
                    "POST",
                    "/organizations",
                    "{\"name\":\"made\""
                        + (a == Actor.ADMIN ? ",\"owner\":\"" + unique("made") + "\"" : "")
                        + "}"),
            expect(200, 403, 403, 403)));
    list.add(
        new Action(
            "GET members", a -> new Cell("GET", "/organization/users", null), managers(200)));
    list.add(
        new Action(
            "POST member (direct add)",
            a ->
                new Cell(
                    "POST",
                    "/organization/users",
                    "{\"email\":\"" + unique("direct") + "\",\"role\":\"owner\"}"),
            expect(200, 403, 403, 403)));
    list.add(
        new Action(
            "POST member role",
            a ->
                new Cell(
                    "POST", "/organization/users/" + throwawayMember(), "{\"role\":\"owner\"}"),
            managers(200)));
    list.add(
        new Action(
            "DELETE member",
            a -> new Cell("DELETE", "/organization/users/" + throwawayMember(), null),
            managers(200)));
    list.add(
        new Action(
            "GET api_keys",
            a -> new Cell("GET", "/organization/api_keys", null),
            everyMember(200)));
    list.add(
        new Action(
            "POST own api_key",
            a -> new Cell("POST", "/organization/api_keys", "{\"name\":\"mine\"}"),
            expect(400, 200, 200, 403)));
    list.add(
        new Action(
            "POST api_key for another person",
            a ->
                new Cell(
                    "POST",
                    "/organization/api_keys",
                    "{\"name\":\"theirs\",\"user_id\":\"" + world.victimUser() + "\"}"),
            expect(200, 403, 403, 403)));
    list.add(
        new Action(
            "DELETE another person's api_key",
            a -> {
              var id =
                  adminJson(
                          "POST",
                          "/organization/api_keys",
                          world.acme(),
                          "{\"name\":\"victim\",\"user_id\":\"" + world.victimUser() + "\"}")
                      .path("id")
                      .asText();
              return new Cell("DELETE", "/organization/api_keys/" + id, null);
            },
            expect(200, 200, 404, 200)));
    list.add(
        new Action(
            "GET invites", a -> new Cell("GET", "/organization/invites", null), managers(200)));
    list.add(
        new Action(
            "POST invite",
            a ->
                new Cell(
                    "POST",
                    "/organization/invites",
                    "{\"email\":\"" + unique("new") + "\",\"role\":\"reader\"}"),
            managers(200)));
    list.add(
        new Action(
            "GET invite",
            a -> new Cell("GET", "/organization/invites/" + throwawayInvite(), null),
            managers(200)));
    list.add(
        new Action(
            "DELETE invite",
            a -> new Cell("DELETE", "/organization/invites/" + throwawayInvite(), null),
            managers(200)));
    var accept = new EnumMap<Actor, Integer>(Actor.class);
    for (var actor : Actor.values()) {
      accept.put(actor, 403);
    }
    accept.put(Actor.REVOKED_KEY, 401);
    accept.put(Actor.EXPIRED_KEY, 401);
    accept.put(Actor.INVITED_NOT_ACCEPTED, 200);
    list.add(
        new Action(
            "POST invite accept (another org's invite)",
            a ->
                new Cell(
                    "POST",
                    "/organization/invites/" + world.inviteToBeta() + "/accept",
                    null,
                    true),
            accept));
    list.add(
        new Action(
            "GET service_accounts",
            a -> new Cell("GET", "/organization/service_accounts", null),
            managers(200)));
    list.add(
        new Action(
            "POST service_account",
            a ->
                new Cell(
                    "POST",
                    "/organization/service_accounts",
                    "{\"name\":\"bot\",\"role\":\"reader\"}"),
            managers(200)));
    list.add(
        new Action(
            "DELETE service_account",
            a -> {
              var id =
                  adminJson(
                          "POST",
                          "/organization/service_accounts",
                          world.acme(),
                          "{\"name\":\"tmp\",\"role\":\"reader\"}")
                      .path("id")
                      .asText();
              return new Cell("DELETE", "/organization/service_accounts/" + id, null);
            },
            managers(200)));
    list.add(
        new Action(
            "GET limits", a -> new Cell("GET", "/organization/limits", null), everyMember(200)));
    list.add(
        new Action(
            "POST limits",
            a ->
                new Cell(
                    "POST",
                    "/organization/limits",
                    "{\"requests_per_minute\":100000,\"tokens_per_minute\":10000000,"
                        + "\"hard_limit_micros\":100000000}"),
            managers(200)));
    list.add(
        new Action(
            "GET moderation_policy",
            a -> new Cell("GET", "/organization/moderation_policy", null),
            everyMember(200)));
    list.add(
        new Action(
            "POST moderation_policy",
            a ->
                new Cell(
                    "POST",
                    "/organization/moderation_policy",
                    "{\"screen_input\":false,\"screen_output\":false}"),
            managers(200)));
    return list;
  }

  static long hourAgo() {
    return Instant.now().getEpochSecond() - 3600;
  }

  static String throwawayInvite() throws Exception {
    return adminJson(
            "POST",
            "/organization/invites",
            world.acme(),
            "{\"email\":\"" + unique("tmp-invite") + "\",\"role\":\"reader\"}")
        .path("id")
        .asText();
  }

  @Test
  @Order(1)
  void accessMatrix_everyActorTimesEveryAction_hasItsExpectedStatus() throws Exception {
    var actions = actions();
    var actual = new LinkedHashMap<String, Map<Actor, Integer>>();
    var failures = new ArrayList<String>();
    int cells = 0;
    for (var action : actions) {
      var row = new EnumMap<Actor, Integer>(Actor.class);
      for (var actor : Actor.values()) {
        var cell = action.make().make(actor);
        var reply =
            call(
                0,
                cell.method(),
                cell.path(),
                world.keys().get(actor),
                cell.noOrganization() ? null : world.acme(),
                cell.body());
        row.put(actor, reply.status());
        cells++;
        int expected = action.expected().get(actor);
        if (reply.status() != expected) {
          failures.add(
              action.name()
                  + " × "
                  + actor
                  + ": expected "
                  + expected
                  + ", got "
                  + reply.status()
                  + " "
                  + trim(reply.body().toString()));
        }
        if (reply.status() >= 400) {
          assertThat(reply.body().path("error").has("message"))
              .as(action.name() + " × " + actor + " carries the error envelope: " + reply.body())
              .isTrue();
        }
        if (action.name().equals("GET models") && reply.status() == 200) {
          // every organization starts with the default tier, so the headers are always there
          assertThat(reply.raw().headers().firstValue("x-ratelimit-limit-requests"))
              .as("x-ratelimit-limit-requests for " + actor)
              .isPresent();
        }
        if (actor == Actor.OTHER_ORGANIZATION && reply.status() == 401) {
          assertThat(reply.body().path("error").path("code").asText())
              .isEqualTo("mismatched_organization");
        }
      }
      actual.put(action.name(), row);
    }
    var table = table(actions, actual);
    System.out.println("Access matrix, " + cells + " cells:\n" + table);
    assertThat(cells).isGreaterThanOrEqualTo(100);
    assertThat(failures).as("cells that differ from the expected status:\n" + table).isEmpty();
  }

  static String trim(String text) {
    return text.length() > 200 ? text.substring(0, 200) + "…" : text;
  }

  static String table(List<Action> actions, Map<String, Map<Actor, Integer>> actual) {
    var out = new StringBuilder(String.format("%-42s", "action \\ actor"));
    for (var actor : Actor.values()) {
      out.append(String.format("%-22s", actor));
    }
    out.append('\n');
    for (var action : actions) {
      out.append(String.format("%-42s", action.name()));
      var row = actual.getOrDefault(action.name(), Map.of());
      for (var actor : Actor.values()) {
        var got = row.get(actor);
        int want = action.expected().get(actor);
        var text = got == null ? "-" : got == want ? got.toString() : got + " (want " + want + ")";
        out.append(String.format("%-22s", text));
      }
      out.append('\n');
    }
    return out.toString();
  }

  @Test
  @Order(2)
  void takeoverChain_ofFinding1_failsAtEveryStep() throws Exception {
    // The attacker: a reader who, on the self-service replica, creates an organization of their
    // own.
    var attacker = world.keys().get(Actor.READER);
    var victimEmail = world.emails().get(Actor.OWNER);
    var created = call(1, "POST", "/organizations", attacker, null, "{\"name\":\"trap\"}");
    assertThat(created.status()).as(created.body().toString()).isEqualTo(200);
    var trap = created.body().path("id").asText();

    // 1. adding the victim by e-mail without consent: only the platform administrator may
    var add =
        call(
            1,
            "POST",
            "/organization/users",
            attacker,
            trap,
            "{\"email\":\"" + victimEmail + "\",\"role\":\"reader\"}");
    assertThat(add.status()).isEqualTo(403);
    // 2. an invitation adds nobody until the victim accepts it
    var invite =
        call(
            1,
            "POST",
            "/organization/invites",
            attacker,
            trap,
            "{\"email\":\"" + victimEmail + "\",\"role\":\"reader\"}");
    assertThat(invite.status()).isEqualTo(200);
    var members = ok(call(1, "GET", "/organization/users", attacker, trap, null));
    assertThat(members.toString()).doesNotContain(world.ownerUser());
    // 3. the attacker cannot accept it in the victim's name
    var accept =
        call(
            1,
            "POST",
            "/organization/invites/" + invite.body().path("id").asText() + "/accept",
            attacker,
            null,
            null);
    assertThat(accept.status()).isEqualTo(403);
    // 4. minting a key for the victim is refused, in the trap and in the victim's organization
    for (var org : List.of(trap, world.acme())) {
      var mint =
          call(
              1,
              "POST",
              "/organization/api_keys",
              attacker,
              org,
              "{\"name\":\"x\",\"user_id\":\"" + world.ownerUser() + "\"}");
      assertThat(mint.status()).isEqualTo(403);
    }
    // 5. the attacker is still a reader of acme, and owner of nothing of the victim's
    assertThat(call(1, "GET", "/organization/users", attacker, world.acme(), null).status())
        .isEqualTo(403);
    var orgs = ok(call(1, "GET", "/organizations", attacker, null, null));
    for (var org : orgs.path("data")) {
      if (org.path("id").asText().equals(world.acme())) {
        assertThat(org.path("role").asText()).isEqualTo("reader");
      }
    }
  }

  @Test
  @Order(3)
  void organizationCreation_ofFinding3_isCappedPerPerson_evenWhenConcurrent() throws Exception {
    var email = unique("greedy");
    var home = organization("greedy-home", email);
    var key = firstKey(home[0], home[1], 0);
    // the person is at their RPM limit in their own organization
    ok(
        call(
            0,
            "POST",
            "/organization/limits",
            stack.adminKey,
            home[0],
            "{\"requests_per_minute\":1}"));
    var completion =
        "{\"model\":\"" + ParleyStack.MODEL + "\",\"prompt\":\"Once\",\"max_tokens\":1}";
    assertThat(call(0, "POST", "/completions", key, null, completion).status()).isEqualTo(200);
    assertThat(call(0, "POST", "/completions", key, null, completion).status()).isEqualTo(429);

    // replica 0 has no self-service at all
    assertThat(call(0, "POST", "/organizations", key, null, "{\"name\":\"escape\"}").status())
        .isEqualTo(403);
    var made = new AtomicInteger();
    var capped = new AtomicInteger();
    var futures = new ArrayList<CompletableFuture<Void>>();
    for (int i = 0; i < 30; i++) {
      var request =
          HttpRequest.newBuilder(URI.create(stack.baseUrl(1) + "/organizations"))
              .timeout(Duration.ofSeconds(30))
              .header("Authorization", "Bearer " + key)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"escape " + i + "\"}"))
              .build();
      futures.add(
          http.sendAsync(request, HttpResponse.BodyHandlers.ofString())
              .thenAccept(
                  r -> {
                    if (r.statusCode() == 200) {
                      made.incrementAndGet();
                    } else if (r.statusCode() == 400
                        && r.body().contains("organization_limit_reached")) {
                      capped.incrementAndGet();
                    }
                  }));
    }
    futures.forEach(CompletableFuture::join);
    System.out.printf("Self-service: %d created, %d refused of 30%n", made.get(), capped.get());
    assertThat(made.get()).isEqualTo(3);
    assertThat(capped.get()).isEqualTo(27);
  }

  @Test
  @Order(4)
  void demotedOwner_losesOwnerRights_atOnceHere_andWithinOneSecondOnTheOtherReplica()
      throws Exception {
    var email = unique("second-owner");
    var user =
        adminJson(
                "POST",
                "/organization/users",
                world.acme(),
                "{\"email\":\"" + email + "\",\"role\":\"owner\"}")
            .path("id")
            .asText();
    var key = firstKey(world.acme(), user, 0);
    // both replicas cache the owner's authentication (30 s)
    for (int replica = 0; replica < 2; replica++) {
      assertThat(call(replica, "GET", "/organization/users", key, world.acme(), null).status())
          .isEqualTo(200);
    }
    ok(
        call(
            0,
            "POST",
            "/organization/users/" + user,
            world.keys().get(Actor.OWNER),
            world.acme(),
            "{\"role\":\"reader\"}"));
    long demoted = System.nanoTime();
    assertThat(call(0, "GET", "/organization/users", key, world.acme(), null).status())
        .isEqualTo(403);
    long elapsedMs = untilStatus(1, key, 403, "/organization/users");
    System.out.printf(
        "Demotion: refused on the same replica at once, on the other after %d ms%n", elapsedMs);
    assertThat(elapsedMs).isLessThanOrEqualTo(1_000);
    assertThat((System.nanoTime() - demoted) / 1_000_000).isLessThan(5_000);

    // removal and revocation travel the same way
    assertThat(call(1, "GET", "/models", key, world.acme(), null).status()).isEqualTo(200);
    ok(
        call(
            0,
            "DELETE",
            "/organization/users/" + user,
            world.keys().get(Actor.OWNER),
            world.acme(),
            null));
    assertThat(untilStatus(1, key, 401, "/models")).isLessThanOrEqualTo(1_000);
  }

  /** Milliseconds until replica answers {@code status} to a GET, polling every 20 ms. */
  static long untilStatus(int replica, String key, int status, String path) throws Exception {
    long start = System.nanoTime();
    while (true) {
      var reply = call(replica, "GET", path, key, world.acme(), null);
      long elapsed = (System.nanoTime() - start) / 1_000_000;
      if (reply.status() == status || elapsed > 10_000) {
        return elapsed;
      }
      Thread.sleep(20);
    }
  }

  @Test
  @Order(5)
  void expiredKey_isRefusedRightAtExpiry_onEveryReplica() throws Exception {
    long expiresAt = Instant.now().getEpochSecond() + 2;
    var key = firstKey(world.acme(), world.ownerUser(), expiresAt);
    long lateSuccesses = 0;
    long refusedAfterMs = -1;
    while (System.currentTimeMillis() < expiresAt * 1000 + 1_000) {
      for (int replica = 0; replica < 2; replica++) {
        long sent = System.currentTimeMillis();
        int status = call(replica, "GET", "/models", key, null, null).status();
        if (status == 200 && sent >= expiresAt * 1000) {
          lateSuccesses++;
        }
        if (status == 401 && refusedAfterMs < 0) {
          refusedAfterMs = sent - expiresAt * 1000;
        }
      }
      Thread.sleep(25);
    }
    System.out.printf("Expiry: first refusal %d ms after expiry%n", refusedAfterMs);
    assertThat(lateSuccesses).isZero();
    assertThat(refusedAfterMs).isBetween(-100L, 100L);
  }

  @Test
  @Order(6)
  void oversizedAdminInputs_ofFinding5_are4xxWithTheEnvelope_andWriteNothing() throws Exception {
    var owner = world.keys().get(Actor.OWNER);
    var before = snapshot();
    var cases = new LinkedHashMap<String, Function<Integer, Reply>>();
    cases.put(
        "100k-character e-mail (invite)",
        r ->
            unchecked(
                () ->
                    call(
                        r,
                        "POST",
                        "/organization/invites",
                        owner,
                        world.acme(),
                        "{\"email\":\"" + "a".repeat(100_000) + "@x.test\",\"role\":\"reader\"}")));
    cases.put(
        "100k-character e-mail (direct add)",
        r ->
            unchecked(
                () ->
                    call(
                        r,
                        "POST",
                        "/organization/users",
                        stack.adminKey,
                        world.acme(),
                        "{\"email\":\"" + "a".repeat(100_000) + "@x.test\"}")));
    cases.put(
        "1 MB organization name",
        r ->
            unchecked(
                () ->
                    call(
                        r,
                        "POST",
                        "/organizations",
                        stack.adminKey,
                        null,
                        "{\"name\":\"" + "n".repeat(1 << 20) + "\",\"owner\":\"x@y.test\"}")));
    cases.put(
        "1 MB key name",
        r ->
            unchecked(
                () ->
                    call(
                        r,
                        "POST",
                        "/organization/api_keys",
                        owner,
                        world.acme(),
                        "{\"name\":\"" + "k".repeat(1 << 20) + "\"}")));
    cases.put(
        "10,000-character key id in the path",
        r ->
            unchecked(
                () ->
                    call(
                        r,
                        "DELETE",
                        "/organization/api_keys/" + "k".repeat(10_000),
                        owner,
                        world.acme(),
                        null)));
    cases.put(
        "10,000-character user id in the path",
        r ->
            unchecked(
                () ->
                    call(
                        r,
                        "DELETE",
                        "/organization/users/" + "u".repeat(10_000),
                        owner,
                        world.acme(),
                        null)));
    var many = new StringBuilder("{\"requests_per_minute\":5,\"model_limits\":[");
    for (int i = 0; i < 100_000; i++) {
      many.append(i == 0 ? "" : ",")
          .append("{\"model\":\"m")
          .append(i)
          .append("\",\"requests_per_minute\":1}");
    }
    many.append("]}");
    cases.put(
        "100,000 model_limits",
        r ->
            unchecked(
                () ->
                    call(r, "POST", "/organization/limits", owner, world.acme(), many.toString())));
    cases.put(
        "20,000-character model id in model_limits",
        r ->
            unchecked(
                () ->
                    call(
                        r,
                        "POST",
                        "/organization/limits",
                        owner,
                        world.acme(),
                        "{\"model_limits\":[{\"model\":\"" + "m".repeat(20_000) + "\"}]}")));
    cases.put(
        "70-character OpenAI-Organization",
        r -> unchecked(() -> call(r, "GET", "/models", owner, "org-" + "x".repeat(70), null)));
    for (var entry : cases.entrySet()) {
      var reply = entry.getValue().apply(0);
      assertThat(reply.status())
          .as(entry.getKey() + ": " + trim(reply.body().toString()))
          .isBetween(400, 499);
      assertThat(reply.body().path("error").path("message").isTextual())
          .as(entry.getKey() + " carries the envelope")
          .isTrue();
    }
    assertThat(snapshot()).as("nothing written").isEqualTo(before);

    // A 1 MB key is refused at once, without reaching the usage service.
    long start = System.nanoTime();
    var huge = call(0, "GET", "/models", "sk-" + "x".repeat(1 << 20), null, null);
    long ms = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("1 MB key: %d in %d ms%n", huge.status(), ms);
    assertThat(huge.status()).isBetween(400, 431);
    assertThat(ms).isLessThan(2_000);
  }

  /** Row counts of every identity table, and acme's limits, as text. */
  static String snapshot() throws Exception {
    var out = new StringBuilder();
    try (var c =
        java.sql.DriverManager.getConnection(
            TenantStack.POSTGRES + stack.database, "postgres", "")) {
      for (var table :
          List.of(
              "organizations",
              "users",
              "memberships",
              "invites",
              "api_keys",
              "organization_limits",
              "model_limits",
              "moderation_policies")) {
        try (var rs = c.createStatement().executeQuery("SELECT COUNT(*) FROM " + table)) {
          rs.next();
          out.append(table).append('=').append(rs.getLong(1)).append('\n');
        }
      }
      try (var st =
          c.prepareStatement(
              "SELECT requests_per_minute, tokens_per_minute, soft_limit_micros,"
                  + " hard_limit_micros FROM organization_limits WHERE organization_id = ?")) {
        st.setString(1, world.acme());
        try (var rs = st.executeQuery()) {
          while (rs.next()) {
            out.append(rs.getLong(1)).append('/').append(rs.getLong(2)).append('/');
            out.append(rs.getLong(3)).append('/').append(rs.getLong(4)).append('\n');
          }
        }
      }
    }
    return out.toString();
  }

  interface Call {
    Reply run() throws Exception;
  }

  static Reply unchecked(Call call) {
    try {
      return call.run();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
