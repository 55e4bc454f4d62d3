package io.parley.gateway.infrastructure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminKeyFileTest {

  @TempDir Path dir;

  @Test
  void missingFile_isGeneratedOwnerOnly_andLoggedWithoutTheKey() throws Exception {
    var file = dir.resolve("secrets/admin-key");
    var log = new ArrayList<String>();

    var key = AdminKeyFile.loadOrCreate(file, true, log::add);

    assertThat(key).matches("sk-parley-[0-9A-Za-z]{48}");
    assertThat(Files.readString(file).trim()).isEqualTo(key);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(log).singleElement().asString().contains(file.toString()).doesNotContain(key);
    try (var files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file);
    }
  }

  @Test
  void existingFile_isReadTrimmed_andKept() throws Exception {
    var file = dir.resolve("admin-key");
    Files.writeString(file, "  sk-mounted-secret\n");
    var log = new ArrayList<String>();

    assertThat(AdminKeyFile.loadOrCreate(file, true, log::add)).isEqualTo("sk-mounted-secret");
    assertThat(log).isEmpty();
  }

  @Test
  void secondStart_readsTheGeneratedKey() {
    var file = dir.resolve("admin-key");
    var first = AdminKeyFile.loadOrCreate(file, true, line -> {});

    assertThat(AdminKeyFile.loadOrCreate(file, true, line -> {})).isEqualTo(first);
  }

  @Test
  void missingFileWithoutGenerate_failsStartup() {
    assertThatThrownBy(() -> AdminKeyFile.loadOrCreate(dir.resolve("none"), false, line -> {}))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("admin-key-generate");
  }

  @Test
  void emptyFile_failsStartup() throws Exception {
    var file = dir.resolve("admin-key");
    Files.writeString(file, "\n");

    assertThatThrownBy(() -> AdminKeyFile.loadOrCreate(file, false, line -> {}))
        .isInstanceOf(IllegalStateException.class);
  }
}
