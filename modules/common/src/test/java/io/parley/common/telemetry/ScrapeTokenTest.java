package io.parley.common.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScrapeTokenTest {

  @TempDir Path dir;

  @Test
  void withoutAFile_everyScrapeIsLetThrough() {
    var token = ScrapeToken.from(Optional.empty());
    assertThat(token.required()).isFalse();
    assertThat(token.permits(null)).isTrue();
    assertThat(ScrapeToken.from(Optional.of(" ")).required()).isFalse();
  }

  @Test
  void withAFile_onlyTheBearerOfItsTokenReads() throws Exception {
    var file = Files.writeString(dir.resolve("token"), "s3cret-token\n");
    var token = ScrapeToken.from(Optional.of(file.toString()));

    assertThat(token.required()).isTrue();
    assertThat(token.permits("Bearer s3cret-token")).isTrue();
    assertThat(token.permits("bearer s3cret-token")).isTrue();
    assertThat(token.permits(null)).isFalse();
    assertThat(token.permits("")).isFalse();
    assertThat(token.permits("Bearer")).isFalse();
    assertThat(token.permits("Bearer s3cret-toke")).isFalse();
    assertThat(token.permits("Bearer s3cret-token2")).isFalse();
    assertThat(token.permits("Basic czNjcmV0LXRva2Vu")).isFalse();
  }

  @Test
  void anEmptyOrOversizedFileIsAConfigurationError() throws Exception {
    var empty = Files.writeString(dir.resolve("empty"), "\n");
    var big =
        Files.writeString(
            dir.resolve("big"), "x".repeat(io.parley.common.runtime.SecretFile.MAX_BYTES + 1));

    assertThatThrownBy(() -> ScrapeToken.fromFile(empty))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> ScrapeToken.fromFile(big))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("longer");
  }
}
