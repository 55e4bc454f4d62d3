package io.parley.common.grpc.security;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which identities may call which gRPC method: one allow-list per method, declared beside each
 * service's gRPC edge. A method that is not listed is refused to everyone, and a server refuses to
 * start when one of its methods has no allow-list (see {@link #requireCovers}).
 */
public final class CallerPolicy {

  /** Stands for every authenticated platform identity (the gRPC health service). */
  public static final String ANY_IDENTITY = "*";

  private final Map<String, Set<String>> callers;

  private CallerPolicy(Map<String, Set<String>> callers) {
    var copy = new LinkedHashMap<String, Set<String>>();
    callers.forEach((method, identities) -> copy.put(method, Set.copyOf(identities)));
    this.callers = Map.copyOf(copy);
  }

  /** Starts a policy. */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether {@code identity} may call the method (its full name, {@code pkg.Service/Method}). */
  public boolean allows(String fullMethodName, String identity) {
    var allowed = callers.get(fullMethodName);
    return allowed != null && (allowed.contains(identity) || allowed.contains(ANY_IDENTITY));
  }

  /** The identities allowed to call a method (empty when none is). */
  public Set<String> callersOf(String fullMethodName) {
    return callers.getOrDefault(fullMethodName, Set.of());
  }

  /**
   * This policy plus more callers (from configuration), for methods this policy already lists.
   *
   * @throws IllegalArgumentException when an extra names a method this policy does not list
   */
  public CallerPolicy plus(Map<String, Set<String>> extra) {
    var merged = new LinkedHashMap<String, Set<String>>();
    callers.forEach((method, identities) -> merged.put(method, new LinkedHashSet<>(identities)));
    extra.forEach(
        (method, identities) -> {
          var existing = merged.get(method);
          if (existing == null) {
            throw new IllegalArgumentException(
                "parley.grpc.extra-callers names a method this service does not have: " + method);
          }
          existing.addAll(identities);
        });
    return new CallerPolicy(merged);
  }

  /**
   * This policy merged with another one (a server that exposes several services).
   *
   * @throws IllegalArgumentException when both list the same method
   */
  public CallerPolicy and(CallerPolicy other) {
    var merged = new LinkedHashMap<>(callers);
    other.callers.forEach(
        (method, identities) -> {
          if (merged.putIfAbsent(method, identities) != null) {
            throw new IllegalArgumentException("Two allow-lists for " + method);
          }
        });
    return new CallerPolicy(merged);
  }

  /**
   * Checks that every method of the services has an allow-list.
   *
   * @throws IllegalStateException naming the methods that have none
   */
  public void requireCovers(Collection<ServerServiceDefinition> services) {
    var missing = new ArrayList<String>();
    for (var service : services) {
      for (var method : service.getMethods()) {
        var name = method.getMethodDescriptor().getFullMethodName();
        if (!callers.containsKey(name)) {
          missing.add(name);
        }
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException("gRPC methods without an allow-list of callers: " + missing);
    }
  }

  /** Builds a {@link CallerPolicy}. */
  public static final class Builder {

    private final Map<String, Set<String>> callers = new LinkedHashMap<>();

    private Builder() {}

    /** Lets these identities call the method (adds to what is already allowed). */
    public Builder allow(MethodDescriptor<?, ?> method, String... identities) {
      var set = callers.computeIfAbsent(method.getFullMethodName(), k -> new LinkedHashSet<>());
      for (var identity : identities) {
        set.add(ANY_IDENTITY.equals(identity) ? identity : ServiceIdentity.requireValid(identity));
      }
      return this;
    }

    /** Lets these identities call every method of a service. */
    public Builder allowAll(ServiceDescriptor service, String... identities) {
      for (var method : service.getMethods()) {
        allow(method, identities);
      }
      return this;
    }

    /** Lets these identities call each of the methods. */
    public Builder allow(List<? extends MethodDescriptor<?, ?>> methods, String... identities) {
      for (var method : methods) {
        allow(method, identities);
      }
      return this;
    }

    /** The policy. */
    public CallerPolicy build() {
      return new CallerPolicy(callers);
    }
  }
}
