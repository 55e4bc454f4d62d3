package io.parley.common.grpc.security;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.parley.common.grpc.GrpcErrors;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * Lets a call through only when the caller presented a platform certificate (checked against the
 * platform CA during the TLS handshake) whose identity is on the method's allow-list. A caller
 * without an identity gets {@code UNAUTHENTICATED}, one that is not on the list {@code
 * PERMISSION_DENIED}; both as a {@code google.rpc.Status} with an {@code ErrorInfo} that says no
 * more than that. The caller's identity is available to handlers as {@link #CALLER}.
 */
public final class CallerCheck implements ServerInterceptor {

  /** The calling identity, in the context of every call let through. */
  public static final Context.Key<String> CALLER = Context.key("parley-caller");

  private static final System.Logger LOG = System.getLogger(CallerCheck.class.getName());

  private final CallerPolicy policy;

  /** Checks calls against a policy. */
  public CallerCheck(CallerPolicy policy) {
    this.policy = policy;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    var method = call.getMethodDescriptor().getFullMethodName();
    var identity = identity(call);
    if (identity.isEmpty()) {
      LOG.log(System.Logger.Level.WARNING, "Refused {0}: the caller has no identity", method);
      return refuse(
          call,
          Status.Code.UNAUTHENTICATED,
          GrpcErrors.CALLER_UNAUTHENTICATED,
          "authentication_error",
          "A client certificate with a platform identity is required.");
    }
    if (!policy.allows(method, identity.get())) {
      LOG.log(
          System.Logger.Level.WARNING,
          "Refused {0}: identity {1} is not allowed to call it",
          method,
          identity.get());
      return refuse(
          call,
          Status.Code.PERMISSION_DENIED,
          GrpcErrors.CALLER_NOT_ALLOWED,
          "permission_error",
          "This caller is not allowed to call this method.");
    }
    return Contexts.interceptCall(
        Context.current().withValue(CALLER, identity.get()), call, headers, next);
  }

  private static Optional<String> identity(ServerCall<?, ?> call) {
    var session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      return Optional.empty();
    }
    try {
      var chain = session.getPeerCertificates();
      if (chain.length == 0 || !(chain[0] instanceof X509Certificate leaf)) {
        return Optional.empty();
      }
      return ServiceIdentity.of(leaf);
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(
      ServerCall<Q, R> call, Status.Code code, String reason, String type, String message) {
    var refusal = GrpcErrors.toException(code, reason, message, Map.of(GrpcErrors.TYPE, type));
    call.close(
        refusal.getStatus(),
        refusal.getTrailers() == null ? new Metadata() : refusal.getTrailers());
    return new ServerCall.Listener<>() {};
  }
}
