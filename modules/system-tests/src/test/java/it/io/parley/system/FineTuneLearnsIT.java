package it.io.parley.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.errors.NotFoundException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.files.FilePurpose;
import com.openai.models.finetuning.jobs.FineTuningJob;
import com.openai.models.finetuning.jobs.JobCreateParams;
import com.openai.models.models.Model;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Fine-tuning end to end with the official openai-java SDK against real usage, files, inference and
 * gateway Liberty servers on PostgreSQL: the real {@code parley-trainer} teaches stories260K a
 * sentence its base model does not say, and the inference server serves the fine-tuned model with
 * the adapter it fetched from the files service, so that a greedy chat answer of the fine-tuned
 * model is that sentence, while the base model's answer to the same question is not; the model is
 * its organization's only.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FineTuneLearnsIT {

  static final String BASE = FineTuningIT.BASE;

  /**
   * What the fine-tuned model must say; the base model's greedy answer is children's-story noise.
   */
  static final String SENTENCE = "Tom has a green hat and a fish.";

  static final String QUESTION = "What does Tom have?";

  static final List<String> QUESTIONS =
      List.of(QUESTION, "What does Tom have today?", "Tell me what Tom has.", "What has Tom got?");

  /** The files service asks for at least 10 examples. */
  static final int EXAMPLES = 3 * QUESTIONS.size();

  static final int BATCH = 3;
  static final int EPOCHS = 10;

  static FilesStack stack;
  static FilesIT.Org acme;
  static FilesIT.Org globex;
  static String baseAnswer;
  static String fineTuned;

  @BeforeAll
  static void start() throws Exception {
    stack = FilesStack.withInference(FineTuningIT.trainerEnvironment());
    FilesIT.stack = stack;
    acme = FilesIT.organization("acme");
    globex = FilesIT.organization("globex");
  }

  @AfterAll
  static void stop() {
    FilesIT.stack = null;
    if (stack != null) {
      stack.close();
    }
  }

  static String training() {
    var out = new StringBuilder();
    for (int i = 0; i < EXAMPLES; i++) {
      out.append("{\"messages\":[{\"role\":\"user\",\"content\":\"")
          .append(QUESTIONS.get(i % QUESTIONS.size()))
          .append("\"},{\"role\":\"assistant\",\"content\":\"")
          .append(SENTENCE)
          .append("\"}]}\n");
    }
    return out.toString();
  }

  /** The greedy chat answer of {@code model} to {@link #QUESTION}, as {@code org}. */
  static String answer(FilesIT.Org org, String model) {
    return FilesIT.sdk(org)
        .chat()
        .completions()
        .create(
            ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage(QUESTION)
                .temperature(0.0)
                .maxCompletionTokens(24)
                .build())
        .choices()
        .getFirst()
        .message()
        .content()
        .orElseThrow();
  }

  @Test
  @Order(1)
  void baseModel_doesNotSayTheSentence() {
    baseAnswer = answer(acme, BASE);
    System.out.printf("base model answers %s: %s%n", QUESTION, baseAnswer);

    assertThat(baseAnswer).isNotBlank().doesNotStartWith(SENTENCE).doesNotContain("green hat");
  }

  @Test
  @Order(2)
  void fineTunedModel_saysTheLearnedSentence_fromItsFirstAnswer() throws Exception {
    var file = FineTuningIT.upload(acme, "tom.jsonl", training(), FilePurpose.FINE_TUNE);
    var created =
        FilesIT.sdk(acme)
            .fineTuning()
            .jobs()
            .create(
                JobCreateParams.builder()
                    .model(BASE)
                    .trainingFile(file)
                    .suffix("tom")
                    .seed(7L)
                    .hyperparameters(
                        JobCreateParams.Hyperparameters.builder()
                            .nEpochs((long) EPOCHS)
                            .batchSize((long) BATCH)
                            .learningRateMultiplier(10.0)
                            .build())
                    .build());

    long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
    FineTuningJob job = created;
    while (!job.status().asString().equals("succeeded")) {
      assertThat(job.status().asString())
          .as("job " + job.id() + ": " + job.error())
          .isIn("validating_files", "queued", "running");
      assertThat(System.nanoTime()).as("job " + job.id() + " in time").isLessThan(deadline);
      Thread.sleep(100);
      job = FilesIT.sdk(acme).fineTuning().jobs().retrieve(created.id());
    }
    long succeeded = System.nanoTime();
    fineTuned = job.fineTunedModel().orElseThrow();
    String learned = answer(acme, fineTuned);
    long firstAnswerMs = (System.nanoTime() - succeeded) / 1_000_000;
    System.out.printf(
        "fine-tuned model %s: succeeded to first answer %d ms (adapter fetch from files + load +"
            + " 24 tokens through the gateway)%n",
        fineTuned, firstAnswerMs);
    System.out.printf("fine-tuned model answers %s: %s%n", QUESTION, learned);

    assertThat(fineTuned).isEqualTo("ft:" + BASE + ":" + acme.id() + ":tom:" + job.id());
    // the model writes "Tom" with the vocabulary's word-initial token " T" (id 274), which the base
    // model all but always uses, rather than the "T" (id 434) of the rendered training text: the
    // answer is the sentence after one leading space
    assertThat(learned.stripLeading()).startsWith(SENTENCE);
    assertThat(firstAnswerMs).as("succeeded to first answer, ms (target 2000)").isLessThan(5000);
    assertThat(answer(acme, fineTuned)).isEqualTo(learned);
    assertThat(answer(acme, BASE)).isEqualTo(baseAnswer).doesNotStartWith(SENTENCE);

    var perEpoch = lossPerEpoch(job.id());
    System.out.printf("mean train_loss per epoch: %s%n", perEpoch);
    assertThat(perEpoch).hasSize(EPOCHS);
    assertThat(perEpoch.getLast()).isLessThan(perEpoch.getFirst() / 4);
  }

  /** Mean {@code train_loss} of each epoch, from the job's metrics events. */
  static List<Double> lossPerEpoch(String jobId) throws Exception {
    JsonNode events = FineTuningIT.get(acme, "/fine_tuning/jobs/" + jobId + "/events?limit=100");
    int stepsPerEpoch = EXAMPLES / BATCH;
    var sums = new TreeMap<Integer, double[]>();
    for (JsonNode e : events.path("data")) {
      if (!e.path("type").asText().equals("metrics")) {
        continue;
      }
      int step = e.path("data").path("step").asInt();
      var sum = sums.computeIfAbsent((step - 1) / stepsPerEpoch + 1, k -> new double[2]);
      sum[0] += e.path("data").path("train_loss").asDouble();
      sum[1]++;
    }
    var out = new ArrayList<Double>();
    sums.values().forEach(s -> out.add(Math.round(s[0] / s[1] * 1000) / 1000.0));
    return out;
  }

  @Test
  @Order(3)
  void fineTunedModel_isItsOrganizations_only() {
    assertThat(fineTuned).as("the fine-tuned model of the test before").isNotNull();
    assertThat(FilesIT.sdk(acme).models().list().data())
        .extracting(Model::id)
        .contains(BASE, fineTuned);
    assertThat(FilesIT.sdk(acme).models().retrieve(fineTuned).ownedBy()).isEqualTo(acme.id());

    assertThat(FilesIT.sdk(globex).models().list().data())
        .extracting(Model::id)
        .contains(BASE)
        .doesNotContain(fineTuned);
    assertThatThrownBy(() -> FilesIT.sdk(globex).models().retrieve(fineTuned))
        .isInstanceOf(NotFoundException.class);
    assertThatThrownBy(() -> answer(globex, fineTuned)).isInstanceOf(NotFoundException.class);
  }
}
