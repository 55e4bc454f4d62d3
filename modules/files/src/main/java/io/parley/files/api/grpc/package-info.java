/** The gRPC edge of the files service: messages to use cases, the error family to statuses. */
package io.parley.files.api.grpc;
