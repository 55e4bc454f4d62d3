package io.parley.safety.api.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.parley.safety.application.ModerateUseCase;
import io.parley.safety.application.Moderation;
import io.parley.safety.application.PolicyService;
import io.parley.safety.domain.Category;
import io.parley.safety.domain.ClassifierFailureException;
import io.parley.safety.domain.ModerationResult;
import io.parley.safety.domain.SafetyException;
import io.parley.safety.v1.GetPolicyRequest;
import io.parley.safety.v1.GetPolicyResponse;
import io.parley.safety.v1.ModerateRequest;
import io.parley.safety.v1.ModerateResponse;
import io.parley.safety.v1.Policy;
import io.parley.safety.v1.SafetyServiceGrpc;
import io.parley.safety.v1.SetPolicyRequest;
import io.parley.safety.v1.SetPolicyResponse;
import java.util.concurrent.CompletionException;

/** The gRPC edge of the safety service: maps messages to the use cases and back. */
public final class SafetyGrpcService extends SafetyServiceGrpc.SafetyServiceImplBase {

  private final ModerateUseCase moderate;
  private final PolicyService policies;

  public SafetyGrpcService(ModerateUseCase moderate, PolicyService policies) {
    this.moderate = moderate;
    this.policies = policies;
  }

  @Override
  public void moderate(ModerateRequest request, StreamObserver<ModerateResponse> observer) {
    var call = (ServerCallStreamObserver<ModerateResponse>) observer;
    try {
      var result = moderate.moderate(request.getModel(), request.getInputsList());
      call.setOnCancelHandler(() -> result.cancel(false));
      result.whenComplete(
          (moderation, failure) -> {
            if (call.isCancelled()) {
              return;
            }
            if (failure == null) {
              call.onNext(response(moderation));
              call.onCompleted();
            } else {
              call.onError(SafetyErrors.toStatus(family(failure)));
            }
          });
    } catch (SafetyException e) {
      call.onError(SafetyErrors.toStatus(e));
    }
  }

  @Override
  public void getPolicy(GetPolicyRequest request, StreamObserver<GetPolicyResponse> observer) {
    try {
      var policy = policies.get(request.getOrganization());
      observer.onNext(GetPolicyResponse.newBuilder().setPolicy(message(policy)).build());
      observer.onCompleted();
    } catch (SafetyException e) {
      observer.onError(SafetyErrors.toStatus(e));
    }
  }

  @Override
  public void setPolicy(SetPolicyRequest request, StreamObserver<SetPolicyResponse> observer) {
    try {
      var wanted = request.getPolicy();
      var policy =
          policies.set(
              request.getOrganization(),
              new io.parley.safety.domain.Policy(
                  wanted.getScreenInput(), wanted.getScreenOutput()));
      observer.onNext(SetPolicyResponse.newBuilder().setPolicy(message(policy)).build());
      observer.onCompleted();
    } catch (SafetyException e) {
      observer.onError(SafetyErrors.toStatus(e));
    }
  }

  private static SafetyException family(Throwable failure) {
    var cause =
        failure instanceof CompletionException && failure.getCause() != null
            ? failure.getCause()
            : failure;
    return cause instanceof SafetyException e
        ? e
        : new ClassifierFailureException("Moderation failed", cause);
  }

  private static ModerateResponse response(Moderation moderation) {
    var response = ModerateResponse.newBuilder().setModel(moderation.model());
    for (ModerationResult result : moderation.results()) {
      var message = response.addResultsBuilder().setFlagged(result.flagged());
      for (Category category : Category.values()) {
        message.putCategories(category.id(), result.categories().get(category));
        message.putCategoryScores(category.id(), result.scores().get(category));
      }
    }
    return response.build();
  }

  private static Policy message(io.parley.safety.domain.Policy policy) {
    return Policy.newBuilder()
        .setScreenInput(policy.screenInput())
        .setScreenOutput(policy.screenOutput())
        .build();
  }
}
