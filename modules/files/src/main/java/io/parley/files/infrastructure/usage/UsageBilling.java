package io.parley.files.infrastructure.usage;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.parley.common.v1.TokenUsage;
import io.parley.files.domain.Billing;
import io.parley.files.domain.StoreException;
import io.parley.usage.v1.SettleRequest;
import io.parley.usage.v1.UsageServiceGrpc;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Bills trained tokens through the usage service's ledger: {@code Settle} without a reservation
 * records the usage as is, idempotent by request id (this service calls it with its {@code files}
 * identity, which the usage service allows for {@code Settle} only). Disabled when no usage target
 * is configured.
 */
public final class UsageBilling implements Billing {

  private final Optional<ManagedChannel> channel;
  private final long deadlineMillis;

  /**
   * @param channel the channel to the usage service, when configured
   * @param deadlineMillis deadline of a call
   */
  public UsageBilling(Optional<ManagedChannel> channel, long deadlineMillis) {
    this.channel = channel;
    this.deadlineMillis = deadlineMillis;
  }

  @Override
  public boolean enabled() {
    return channel.isPresent();
  }

  @Override
  public void bill(String requestId, String organization, String model, long trainedTokens) {
    int tokens = (int) Math.min(Integer.MAX_VALUE, trainedTokens);
    try {
      UsageServiceGrpc.newBlockingStub(channel.orElseThrow())
          .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)
          .settle(
              SettleRequest.newBuilder()
                  .setRequestId(requestId)
                  .setOrganization(organization)
                  .setModel(model)
                  .setActual(TokenUsage.newBuilder().setPromptTokens(tokens).setTotalTokens(tokens))
                  .build());
    } catch (StatusRuntimeException e) {
      throw new StoreException("The usage service did not record " + requestId + ".", e);
    }
  }
}
