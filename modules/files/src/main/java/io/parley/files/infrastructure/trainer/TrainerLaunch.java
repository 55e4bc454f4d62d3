package io.parley.files.infrastructure.trainer;

import io.parley.files.domain.JobRunner;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code parley-trainer} command line, the same for every runner: {@code java [options] -jar
 * parley-trainer.jar ARGS}, offline ({@code -Dai.djl.offline=true}) with PyTorch's natives unpacked
 * under a cache directory, and the job's id on the command line ({@code -Dparley.job=}) so a
 * trainer left behind can be recognised.
 */
final class TrainerLaunch {

  private TrainerLaunch() {}

  /**
   * @param java the java launcher where the trainer runs
   * @param jar parley-trainer.jar where the trainer runs (its lib/ beside it)
   * @param javaOptions extra JVM options (heap size)
   * @param cacheDirectory where DJL unpacks PyTorch's native library (writable)
   * @param spec the run
   */
  static List<String> command(
      String java,
      String jar,
      List<String> javaOptions,
      String cacheDirectory,
      JobRunner.Spec spec) {
    var command = new ArrayList<String>();
    command.add(java);
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-Dai.djl.offline=true");
    command.add("-DDJL_CACHE_DIR=" + cacheDirectory);
    command.add("-DENGINE_CACHE_DIR=" + cacheDirectory);
    command.add("-Dparley.job=" + spec.jobId());
    command.addAll(javaOptions);
    command.add("-jar");
    command.add(jar);
    command.addAll(spec.arguments());
    return command;
  }
}
