/**
 * The gRPC edge ({@code parley.safety.v1}): maps messages to the use cases and back, and the
 * service's errors to {@code google.rpc.Status} with an {@code ErrorInfo}.
 */
package io.parley.safety.api.grpc;
