package io.parley.common.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class HostResourcesTest {

  @Test
  void alone_usesEveryCpu_andLetsComputeThreadsSpin() {
    var host = new HostResources(8, 1);
    assertThat(host.colocated()).isFalse();
    assertThat(host.computeThreads()).isEqualTo(8);
    assertThat(host.computeSpinWait()).isTrue();
    assertThat(host.defaultEventLoopThreads()).isEqualTo(8);
  }

  @Test
  void colocatedOnTwoCpus_usesOneComputeThread_thatSleepsWhenIdle() {
    var host = new HostResources(2, 6);
    assertThat(host.colocated()).isTrue();
    assertThat(host.computeThreads()).isEqualTo(1);
    assertThat(host.computeSpinWait()).isFalse();
    assertThat(host.defaultEventLoopThreads()).isEqualTo(1);
  }

  @Test
  void colocatedOnManyCpus_leavesHalfTheCpusToTheOtherServices() {
    var host = new HostResources(16, 6);
    assertThat(host.computeThreads()).isEqualTo(8);
    assertThat(host.defaultEventLoopThreads()).isEqualTo(1);
  }

  @Test
  void oneCpu_alwaysOneComputeThread() {
    assertThat(new HostResources(1, 1).computeThreads()).isEqualTo(1);
    assertThat(new HostResources(1, 6).computeThreads()).isEqualTo(1);
  }

  @Test
  void describe_namesCpusSharingHeapAndCollector() {
    assertThat(new HostResources(2, 6).describe())
        .startsWith("2 CPUs, shared by 6 services, heap max ")
        .contains(" MiB, GC ");
    assertThat(new HostResources(4, 1).describe()).startsWith("4 CPUs, not shared, heap max ");
  }

  @Test
  void rejectsNonPositiveCounts() {
    assertThatThrownBy(() -> new HostResources(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new HostResources(2, 0)).isInstanceOf(IllegalArgumentException.class);
  }
}
