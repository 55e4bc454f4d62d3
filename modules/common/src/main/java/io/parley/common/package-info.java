/**
 * Code every Parley service shares: the gRPC error model ({@link
 * io.parley.common.grpc.GrpcErrors}), the gRPC server lifecycle, client channels and OpenAI-style
 * identifiers.
 */
package io.parley.common;
