package io.parley.trainer.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.parley.trainer.TestSupport;
import io.parley.trainer.TrainerException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stopping after epoch 1 and resuming from its checkpoint ends with the same adapter, bit for bit,
 * as an uninterrupted run with the same seed; a checkpoint of another run is refused.
 */
class ResumeTest {

  @TempDir Path dir;

  @Test
  void resumeAfterEpochOneEqualsAnUninterruptedRun() throws Exception {
    Path data = TestSupport.gardenChat(dir);
    Hyperparameters hp =
        new Hyperparameters(
            3, 4, 2.0, 0.01f, io.parley.trainer.model.LoraOptions.DEFAULT, 9, 1024, 0.1, 0.01, 1.0);

    Trainer.Outcome full = run(data, dir.resolve("full"), hp, Optional.empty(), () -> false);
    assertThat(full.steps()).isEqualTo(24);

    AtomicBoolean stop = new AtomicBoolean();
    Trainer.Outcome first =
        new Trainer(
                request(data, dir.resolve("split"), hp, Optional.empty()),
                stop::get,
                (m, total) -> stop.set(m.step() == 8))
            .run();
    assertThat(first.status()).isEqualTo(Trainer.Status.CANCELLED);
    assertThat(first.steps()).isEqualTo(8);

    Path checkpoint = dir.resolve("split").resolve("checkpoints").resolve("epoch-1");
    Trainer.Outcome resumed =
        run(data, dir.resolve("split"), hp, Optional.of(checkpoint), () -> false);
    assertThat(resumed.status()).isEqualTo(Trainer.Status.SUCCEEDED);
    assertThat(resumed.steps()).isEqualTo(24);
    assertThat(Files.readAllBytes(resumed.adapter())).isEqualTo(Files.readAllBytes(full.adapter()));
    assertThat(resumed.metrics().stream().map(StepMetrics::trainLoss).toList())
        .isEqualTo(full.metrics().stream().map(StepMetrics::trainLoss).toList());
    assertThat(Files.readAllLines(dir.resolve("split").resolve(Trainer.METRICS))).hasSize(24);

    Hyperparameters other =
        new Hyperparameters(
            3, 4, 1.0, 0.01f, io.parley.trainer.model.LoraOptions.DEFAULT, 9, 1024, 0.1, 0.01, 1.0);
    assertThatThrownBy(
            () -> run(data, dir.resolve("other"), other, Optional.of(checkpoint), () -> false))
        .isInstanceOf(TrainerException.class)
        .hasMessageContaining("another run");
  }

  private static Trainer.Outcome run(
      Path data,
      Path out,
      Hyperparameters hp,
      Optional<Path> resume,
      java.util.function.BooleanSupplier cancel) {
    return new Trainer(request(data, out, hp, resume), cancel, null).run();
  }

  private static Trainer.Request request(
      Path data, Path out, Hyperparameters hp, Optional<Path> resume) {
    return new Trainer.Request(
        TestSupport.model(), data, Optional.empty(), out, hp, resume, Optional.empty(), 0);
  }

  static List<String> lines(Path p) throws Exception {
    return Files.readAllLines(p);
  }
}
