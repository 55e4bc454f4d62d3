package io.parley.trainer.cli;

import io.parley.llama.LlamaException;
import io.parley.trainer.TrainerException;
import io.parley.trainer.model.LoraOptions;
import io.parley.trainer.train.Hyperparameters;
import io.parley.trainer.train.Trainer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * {@code parley-trainer}: LoRA fine-tuning of a GGUF model from the command line. Exit status 0
 * when the run succeeded, 2 for bad arguments or input files, 1 when training failed, 130 when it
 * was cancelled (SIGINT or SIGTERM stop it between steps, after which the adapter of the steps done
 * so far and the last epoch's checkpoint are on disk).
 */
public final class TrainerCommand {

  static final String USAGE =
      """
      usage: parley-trainer --model BASE.gguf --training-file TRAIN.jsonl --output DIR [options]

        --validation-file FILE         validation examples (same format as the training file)
        --n-epochs N|auto              epochs (auto: sized to the data, about 3)
        --batch-size N|auto            examples per step (auto: 0.2% of the examples, 1..256)
        --learning-rate-multiplier X|auto
                                       peak learning rate = X * 1e-3 (auto: 1, 2 for batches > 8)
        --prompt-loss-weight X         weight of prompt tokens, prompt/completion files (0.01)
        --lora-rank R                  LoRA rank (8)
        --lora-alpha A                 LoRA alpha; LoRA output is scaled by A/R (16)
        --lora-mlp                     also adapt the MLP projections (gate, up, down)
        --seed N                       seed for initialisation and shuffling (42)
        --max-tokens N                 longer examples are cut (1024, at most the model's context)
        --warmup-ratio X               share of steps warming up the learning rate (0.1)
        --weight-decay X               AdamW weight decay (0)
        --max-grad-norm X              gradient clipping norm (1)
        --resume-from DIR              continue from OUTPUT/checkpoints/epoch-N of the same run
        --threads N                    PyTorch threads (0: automatic)
        --llama-library FILE           llama.cpp shared library (default: the bundled one)
        --quiet                        no progress lines

      Files: JSON Lines in OpenAI's fine-tuning formats, {"messages":[...]} (loss on assistant
      messages) or {"prompt":"...","completion":"..."}. Writes DIR/adapter.gguf (a llama.cpp LoRA
      adapter), DIR/metrics.jsonl, DIR/results.csv, DIR/summary.json, DIR/checkpoints/epoch-N/.
      """;

  private static final Set<String> FLAGS = Set.of("--lora-mlp", "--quiet", "--help");

  private TrainerCommand() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  static int run(String[] args, PrintStream out, PrintStream err) {
    Trainer.Request request;
    boolean quiet;
    try {
      Map<String, String> a = parse(args);
      if (a.containsKey("--help")) {
        out.print(USAGE);
        return 0;
      }
      quiet = a.containsKey("--quiet");
      request = request(a);
    } catch (TrainerException | IllegalArgumentException e) {
      err.println("parley-trainer: " + e.getMessage());
      err.print(USAGE);
      return 2;
    }
    AtomicBoolean cancelled = new AtomicBoolean();
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              cancelled.set(true);
              try {
                finished.await(120, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            "parley-trainer-cancel");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      Trainer.Outcome outcome =
          new Trainer(request, cancelled::get, quiet ? null : Trainer.progress(err)).run();
      out.printf(
          "%s: %d steps, %d trained tokens, adapter %s%n",
          outcome.status().name().toLowerCase(java.util.Locale.ROOT),
          outcome.steps(),
          outcome.trainedTokens(),
          outcome.adapter());
      return outcome.status() == Trainer.Status.SUCCEEDED ? 0 : 130;
    } catch (TrainerException | LlamaException e) {
      err.println("parley-trainer: " + e.getMessage());
      return isInputProblem(e) ? 2 : 1;
    } finally {
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: the JVM is exiting after a signal
      }
    }
  }

  private static boolean isInputProblem(RuntimeException e) {
    String m = String.valueOf(e.getMessage());
    return m.contains(" line ")
        || m.contains("not a GGUF")
        || m.contains("not found")
        || m.contains("has no examples");
  }

  static Map<String, String> parse(String[] args) {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      String k = args[i];
      if (!k.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + k);
      }
      if (FLAGS.contains(k)) {
        a.put(k, "true");
      } else {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(k + " needs a value");
        }
        a.put(k, args[++i]);
      }
    }
    return a;
  }

  static Trainer.Request request(Map<String, String> a) {
    List<String> known =
        List.of(
            "--model",
            "--training-file",
            "--validation-file",
            "--output",
            "--n-epochs",
            "--batch-size",
            "--learning-rate-multiplier",
            "--prompt-loss-weight",
            "--lora-rank",
            "--lora-alpha",
            "--lora-mlp",
            "--seed",
            "--max-tokens",
            "--warmup-ratio",
            "--weight-decay",
            "--max-grad-norm",
            "--resume-from",
            "--threads",
            "--llama-library",
            "--quiet");
    for (String k : a.keySet()) {
      if (!known.contains(k)) {
        throw new IllegalArgumentException("unknown option " + k);
      }
    }
    Hyperparameters d = Hyperparameters.defaults();
    Hyperparameters hp =
        new Hyperparameters(
            auto(a, "--n-epochs") == null ? null : Integer.valueOf(auto(a, "--n-epochs")),
            auto(a, "--batch-size") == null ? null : Integer.valueOf(auto(a, "--batch-size")),
            auto(a, "--learning-rate-multiplier") == null
                ? null
                : Double.valueOf(auto(a, "--learning-rate-multiplier")),
            Float.parseFloat(a.getOrDefault("--prompt-loss-weight", "" + d.promptLossWeight())),
            new LoraOptions(
                Integer.parseInt(a.getOrDefault("--lora-rank", "" + d.lora().rank())),
                Float.parseFloat(a.getOrDefault("--lora-alpha", "" + d.lora().alpha())),
                a.containsKey("--lora-mlp")),
            Long.parseLong(a.getOrDefault("--seed", "" + d.seed())),
            Integer.parseInt(a.getOrDefault("--max-tokens", "" + d.maxTokens())),
            Double.parseDouble(a.getOrDefault("--warmup-ratio", "" + d.warmupRatio())),
            Double.parseDouble(a.getOrDefault("--weight-decay", "" + d.weightDecay())),
            Double.parseDouble(a.getOrDefault("--max-grad-norm", "" + d.maxGradNorm())));
    return new Trainer.Request(
        required(a, "--model"),
        required(a, "--training-file"),
        Optional.ofNullable(a.get("--validation-file")).map(Path::of),
        required(a, "--output"),
        hp,
        Optional.ofNullable(a.get("--resume-from")).map(Path::of),
        Optional.ofNullable(a.get("--llama-library")).map(Path::of),
        Integer.parseInt(a.getOrDefault("--threads", "0")));
  }

  private static String auto(Map<String, String> a, String key) {
    String v = a.get(key);
    return v == null || v.equals("auto") ? null : v;
  }

  private static Path required(Map<String, String> a, String key) {
    String v = a.get(key);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(key + " is required");
    }
    return Path.of(v);
  }
}
