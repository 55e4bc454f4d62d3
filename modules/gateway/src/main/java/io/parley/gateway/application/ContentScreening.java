package io.parley.gateway.application;

import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.ContentFlaggedException;
import io.parley.inference.v1.Choice;
import io.parley.inference.v1.FinishReason;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.GenerateResponse;
import io.parley.safety.v1.ModerateRequest;
import io.parley.safety.v1.Policy;
import io.parley.usage.v1.ModerationPolicy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Applies an organization's moderation policy to generation: with {@code screen_input} a flagged
 * prompt is refused before anything runs (400 {@code content_filter}); with {@code screen_output} a
 * whole (non-streamed) choice whose text is flagged is withheld and ends with {@code finish_reason:
 * "content_filter"}. Streamed output is not screened: its text has already reached the client when
 * it could be classified. Policies are kept by the usage service (in its database, the same for
 * every replica) when one is configured, otherwise by the safety service (in its memory: one
 * process only). They are cached for a few seconds per organization, and dropped at once when
 * changed through any replica (see {@link AccessChanges}).
 */
@ApplicationScoped
public class ContentScreening {

  private static final Logger LOG = Logger.getLogger(ContentScreening.class.getName());

  private SafetyBackend safety;
  private UsageBackend usage;
  private long cacheNanos;
  private final Map<String, Cached> policies = new ConcurrentHashMap<>();

  private record Cached(Policy policy, long until) {}

  /** For CDI proxies. */
  protected ContentScreening() {}

  @Inject
  public ContentScreening(
      SafetyBackend safety,
      UsageBackend usage,
      @ConfigProperty(name = "parley.gateway.policy-cache-ms", defaultValue = "5000")
          long cacheMillis) {
    this.safety = safety;
    this.usage = usage;
    this.cacheNanos = cacheMillis * 1_000_000;
  }

  /** Whether policies are kept by the usage service. */
  public boolean persistent() {
    return usage.enabled();
  }

  /** The organization's policy; both off without a safety service. */
  public Policy policy(String organization) {
    if (!safety.enabled()) {
      return Policy.getDefaultInstance();
    }
    long now = System.nanoTime();
    var cached = policies.get(organization);
    if (cached != null && now - cached.until() < 0) {
      return cached.policy();
    }
    Policy policy;
    try {
      policy =
          persistent()
              ? fromUsage(usage.moderationPolicy(organization))
              : safety.policy(organization);
    } catch (RuntimeException e) {
      if (cached == null) {
        throw e;
      }
      // While the service that keeps policies cannot answer (a restart, an outage), the last
      // policy it gave stays in force: nobody can change it meanwhile. Asked again after a pause.
      LOG.log(Level.FINE, "Moderation policy of " + organization + " kept: lookup failed", e);
      policies.put(
          organization, new Cached(cached.policy(), now + Math.min(cacheNanos, 1_000_000_000L)));
      return cached.policy();
    }
    policies.put(organization, new Cached(policy, now + cacheNanos));
    return policy;
  }

  /**
   * Sets an organization's policy where it is kept.
   *
   * @return the policy now in force
   */
  public Policy setPolicy(String organization, Policy policy) {
    Policy set;
    if (persistent()) {
      set =
          fromUsage(
              usage.setModerationPolicy(
                  organization,
                  ModerationPolicy.newBuilder()
                      .setScreenInput(policy.getScreenInput())
                      .setScreenOutput(policy.getScreenOutput())
                      .build()));
    } else {
      set = safety.setPolicy(organization, policy);
    }
    policies.remove(organization);
    return set;
  }

  /** The policy as kept, without the cache. */
  public Policy currentPolicy(String organization) {
    return persistent()
        ? fromUsage(usage.moderationPolicy(organization))
        : safety.policy(organization);
  }

  private static Policy fromUsage(ModerationPolicy policy) {
    return Policy.newBuilder()
        .setScreenInput(policy.getScreenInput())
        .setScreenOutput(policy.getScreenOutput())
        .build();
  }

  /** Forgets every cached policy. */
  public void forgetAll() {
    policies.clear();
  }

  /** Forgets a cached policy (after it was changed through this gateway). */
  public void forget(String organization) {
    policies.remove(organization);
  }

  /**
   * Refuses prompts the organization's policy flags.
   *
   * @param param the field the prompts came from ({@code messages} or {@code prompt})
   * @throws ContentFlaggedException when a prompt is flagged
   */
  public void screenInput(
      Caller caller, String requestId, List<GenerateRequest> prompts, String param) {
    if (!policy(caller.organization()).getScreenInput()) {
      return;
    }
    var texts = new ArrayList<String>();
    for (var prompt : prompts) {
      switch (prompt.getPromptCase()) {
        case CHAT ->
            prompt.getChat().getMessagesList().stream()
                .map(m -> m.getContent())
                .filter(t -> !t.isBlank())
                .forEach(texts::add);
        case TEXT -> {
          if (!prompt.getText().getText().isBlank()) {
            texts.add(prompt.getText().getText());
          }
        }
        default -> {}
      }
    }
    if (texts.isEmpty()) {
      return;
    }
    var flagged = new LinkedHashSet<String>();
    for (var result : moderate(requestId, texts)) {
      if (result.getFlagged()) {
        result
            .getCategoriesMap()
            .forEach(
                (category, hit) -> {
                  if (hit) {
                    flagged.add(category);
                  }
                });
      }
    }
    if (!flagged.isEmpty()) {
      throw new ContentFlaggedException(param, flagged);
    }
  }

  /**
   * Withholds the text of choices the organization's policy flags: such a choice comes back empty
   * with {@code FINISH_REASON_CONTENT_FILTER}. Usage is unchanged (the tokens were generated).
   */
  public GenerateResponse screenOutput(Caller caller, String requestId, GenerateResponse response) {
    if (response.getChoicesCount() == 0 || !policy(caller.organization()).getScreenOutput()) {
      return response;
    }
    var texts = response.getChoicesList().stream().map(Choice::getText).toList();
    var results = moderate(requestId, texts);
    var screened = response.toBuilder();
    for (int i = 0; i < results.size(); i++) {
      if (results.get(i).getFlagged()) {
        screened.setChoices(
            i,
            response.getChoices(i).toBuilder()
                .setText("")
                .clearLogprobs()
                .setFinishReason(FinishReason.FINISH_REASON_CONTENT_FILTER));
      }
    }
    return screened.build();
  }

  private List<io.parley.safety.v1.ModerationResult> moderate(
      String requestId, List<String> texts) {
    return safety
        .moderate(ModerateRequest.newBuilder().setRequestId(requestId).addAllInputs(texts).build())
        .getResultsList();
  }
}
