package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.gateway.application.ContentScreening;
import io.parley.gateway.application.Unconfigured;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.ContentFlaggedException;
import io.parley.gateway.domain.Role;
import io.parley.inference.v1.Choice;
import io.parley.inference.v1.FinishReason;
import io.parley.inference.v1.GenerateRequest;
import io.parley.inference.v1.GenerateResponse;
import io.parley.inference.v1.TextPrompt;
import io.parley.safety.v1.Policy;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An organization's moderation policy applied to prompts and outputs, against a real stub. */
class ContentScreeningTest {

  static final Caller CALLER = new Caller("org-a", "user-a", Role.OWNER, "key-a", false);
  ScriptedSafety safety;
  ContentScreening screening;

  @BeforeEach
  void start() throws Exception {
    safety = new ScriptedSafety();
    screening = new ContentScreening(safety.client(), Unconfigured.usage(), 0);
  }

  @AfterEach
  void stop() {
    safety.close();
  }

  static GenerateRequest prompt(String text) {
    return GenerateRequest.newBuilder().setText(TextPrompt.newBuilder().setText(text)).build();
  }

  static GenerateResponse answer(String... texts) {
    var response = GenerateResponse.newBuilder();
    for (int i = 0; i < texts.length; i++) {
      response.addChoices(
          Choice.newBuilder()
              .setIndex(i)
              .setText(texts[i])
              .setFinishReason(FinishReason.FINISH_REASON_STOP));
    }
    return response.build();
  }

  @Test
  void withoutAPolicy_nothingIsClassified() {
    screening.screenInput(CALLER, "req_1", List.of(prompt("kill")), "prompt");
    assertThat(screening.screenOutput(CALLER, "req_1", answer("kill"))).isEqualTo(answer("kill"));
    assertThat(safety.requests).isEmpty();
  }

  @Test
  void screenInput_refusesAFlaggedPrompt_withTheCategories() {
    safety.policies.put("org-a", Policy.newBuilder().setScreenInput(true).build());
    screening.screenInput(CALLER, "req_1", List.of(prompt("a nice day")), "prompt");
    assertThatThrownBy(
            () ->
                screening.screenInput(
                    CALLER, "req_2", List.of(prompt("a nice day"), prompt("kill it")), "prompt"))
        .isInstanceOfSatisfying(
            ContentFlaggedException.class,
            e -> {
              assertThat(e.status()).isEqualTo(400);
              assertThat(e.code()).contains("content_filter");
              assertThat(e.param()).contains("prompt");
              assertThat(e.getMessage()).contains("violence");
            });
  }

  @Test
  void screenOutput_withholdsOnlyTheFlaggedChoice() {
    safety.policies.put("org-a", Policy.newBuilder().setScreenOutput(true).build());
    var screened = screening.screenOutput(CALLER, "req_1", answer("a story", "kill them all"));
    assertThat(screened.getChoices(0).getText()).isEqualTo("a story");
    assertThat(screened.getChoices(0).getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_STOP);
    assertThat(screened.getChoices(1).getText()).isEmpty();
    assertThat(screened.getChoices(1).getFinishReason())
        .isEqualTo(FinishReason.FINISH_REASON_CONTENT_FILTER);
  }

  @Test
  void whileNoPolicyCanBeRead_theLastOneStaysInForce_andWithoutOneTheLookupFails() {
    safety.policies.put("org-a", Policy.newBuilder().setScreenInput(true).build());
    assertThat(screening.policy("org-a").getScreenInput()).isTrue();

    safety.close(); // the service that keeps the policies is gone
    assertThat(screening.policy("org-a").getScreenInput()).isTrue();
    assertThatThrownBy(() -> screening.policy("org-b")).isInstanceOf(RuntimeException.class);
  }

  @Test
  void withoutASafetyService_screeningIsOff() {
    var off = Unconfigured.screening();
    off.screenInput(CALLER, "req_1", List.of(prompt("kill")), "prompt");
    assertThat(off.policy("org-a")).isEqualTo(Policy.getDefaultInstance());
  }
}
