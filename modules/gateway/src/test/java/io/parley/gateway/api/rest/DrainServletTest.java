package io.parley.gateway.api.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DrainServletTest {

  @Test
  void onlyLoopbackMayDrain() {
    assertThat(DrainServlet.fromLoopback("127.0.0.1")).isTrue();
    assertThat(DrainServlet.fromLoopback("127.1.2.3")).isTrue();
    assertThat(DrainServlet.fromLoopback("::1")).isTrue();
    assertThat(DrainServlet.fromLoopback("[::1]")).isTrue();
    assertThat(DrainServlet.fromLoopback("0:0:0:0:0:0:0:1")).isTrue();
    assertThat(DrainServlet.fromLoopback("::ffff:127.0.0.1")).isTrue();

    assertThat(DrainServlet.fromLoopback(null)).isFalse();
    assertThat(DrainServlet.fromLoopback("10.0.0.7")).isFalse();
    assertThat(DrainServlet.fromLoopback("198.18.7.3")).isFalse();
    assertThat(DrainServlet.fromLoopback("1.127.0.0")).isFalse();
    assertThat(DrainServlet.fromLoopback("fe80::1")).isFalse();
    assertThat(DrainServlet.fromLoopback("::ffff:10.0.0.1")).isFalse();
  }

  @Test
  void theWaitIsBounded() {
    assertThat(DrainServlet.seconds(null, 300)).isEqualTo(300);
    assertThat(DrainServlet.seconds("", 300)).isEqualTo(300);
    assertThat(DrainServlet.seconds("0", 300)).isZero();
    assertThat(DrainServlet.seconds("3600", 300)).isEqualTo(3600);
    for (var bad : new String[] {"3601", "-1", "1e3", "12345", "ten", " 5"}) {
      assertThatThrownBy(() -> DrainServlet.seconds(bad, 300))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
