package it.io.parley.system;

import com.openai.client.OpenAIClient;
import io.grpc.ManagedChannel;
import io.parley.common.grpc.Channels;
import io.parley.inference.v1.InferenceServiceGrpc;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link OpenAiSdkSuite} against Liberty servers started as processes on loopback. */
class OpenAiSdkIT extends OpenAiSdkSuite {

  static ParleyStack stack;
  static OpenAIClient client;
  static ManagedChannel channel;
  static InferenceServiceGrpc.InferenceServiceBlockingStub inference;

  @BeforeAll
  static void start() {
    stack = ParleyStack.shared();
    client = stack.client();
    channel = stack.inferenceChannel();
    inference = InferenceServiceGrpc.newBlockingStub(channel);
  }

  @AfterAll
  static void stop() throws InterruptedException {
    if (channel != null) {
      Channels.close(channel);
    }
    if (client != null) {
      client.close();
    }
  }

  @Override
  OpenAIClient client() {
    return client;
  }

  @Override
  OpenAIClient client(String apiKey) {
    return stack.client(apiKey);
  }

  @Override
  InferenceServiceGrpc.InferenceServiceBlockingStub inference() {
    return inference;
  }
}
