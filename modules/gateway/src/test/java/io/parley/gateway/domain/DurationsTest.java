package io.parley.gateway.domain;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DurationsTest {

  @Test
  void format_writesDurationsAsOpenAiDoes() {
    assertThat(Durations.format(0)).isEqualTo("0s");
    assertThat(Durations.format(-5)).isEqualTo("0s");
    assertThat(Durations.format(20)).isEqualTo("20ms");
    assertThat(Durations.format(999)).isEqualTo("999ms");
    assertThat(Durations.format(1000)).isEqualTo("1s");
    assertThat(Durations.format(1500)).isEqualTo("1.5s");
    assertThat(Durations.format(1250)).isEqualTo("1.25s");
    assertThat(Durations.format(6_000)).isEqualTo("6s");
    assertThat(Durations.format(360_000)).isEqualTo("6m0s");
    assertThat(Durations.format(384_512)).isEqualTo("6m24.512s");
    assertThat(Durations.format(3_723_500)).isEqualTo("1h2m3.5s");
    assertThat(Durations.format(3_600_000)).isEqualTo("1h0m0s");
  }
}
