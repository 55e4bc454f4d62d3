package io.parley.trainer.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.trainer.TestSupport;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command's arguments, exit statuses and a short real run. */
class TrainerCommandTest {

  @TempDir Path dir;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return TrainerCommand.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  @Test
  void missingAndUnknownArgumentsExitWithTwo() {
    assertThat(run("--model", "x.gguf")).isEqualTo(2);
    assertThat(err.toString()).contains("--training-file is required").contains("usage:");
    assertThat(run("--bogus", "1")).isEqualTo(2);
    assertThat(run("--model")).isEqualTo(2);
    assertThat(run("--help")).isZero();
    assertThat(out.toString()).contains("--learning-rate-multiplier");
  }

  @Test
  void outOfRangeHyperparametersExitWithTwo() {
    int rc =
        run(
            "--model",
            "m.gguf",
            "--training-file",
            "t.jsonl",
            "--output",
            "o",
            "--n-epochs",
            "500");
    assertThat(rc).isEqualTo(2);
    assertThat(err.toString()).contains("n_epochs must be between 1 and 50");
  }

  @Test
  void badTrainingFileSaysWhichLine() throws Exception {
    Path data =
        Files.writeString(
            dir.resolve("bad.jsonl"), "{\"prompt\":\"a\",\"completion\":\"b\"}\nnot json\n");
    int rc =
        run(
            "--model",
            TestSupport.model().toString(),
            "--training-file",
            data.toString(),
            "--output",
            dir.resolve("out").toString(),
            "--quiet");
    assertThat(rc).isEqualTo(2);
    assertThat(err.toString()).contains("line 2 is not valid JSON");
    assertThat(dir.resolve("out")).doesNotExist();
  }

  @Test
  void shortRunWritesTheAdapter() throws Exception {
    Path data = TestSupport.gardenCompletion(dir);
    int rc =
        run(
            "--model",
            TestSupport.model().toString(),
            "--training-file",
            data.toString(),
            "--output",
            dir.resolve("out").toString(),
            "--n-epochs",
            "1",
            "--batch-size",
            "10",
            "--lora-rank",
            "4",
            "--lora-alpha",
            "8");
    assertThat(rc).isZero();
    assertThat(out.toString()).contains("succeeded: 3 steps");
    assertThat(err.toString()).contains("step 3/3");
    assertThat(dir.resolve("out").resolve("adapter.gguf")).isRegularFile();
    assertThat(Files.readString(dir.resolve("out").resolve("summary.json")))
        .contains("\"batch_size\" : 10");
  }
}
