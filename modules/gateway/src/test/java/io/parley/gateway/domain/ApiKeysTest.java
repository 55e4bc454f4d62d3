package io.parley.gateway.domain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ApiKeysTest {

  @Test
  void mask_showsFirstFiveAndLastFour_withAStarPerHiddenCharacter() {
    assertThat(ApiKeys.mask("sk-abcdefghijklmwxyz")).isEqualTo("sk-ab***********wxyz");
    var key = "sk-parley-" + "a".repeat(44) + "wxyz";
    assertThat(ApiKeys.mask(key)).isEqualTo("sk-pa" + "*".repeat(49) + "wxyz").hasSize(58);
  }

  @Test
  void mask_hidesShortKeysWhole() {
    assertThat(ApiKeys.mask("short")).isEqualTo("*****");
    assertThat(ApiKeys.mask("")).isEmpty();
  }
}
