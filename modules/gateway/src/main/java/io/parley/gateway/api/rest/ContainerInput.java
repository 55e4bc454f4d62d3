package io.parley.gateway.api.rest;

import jakarta.servlet.http.HttpServletRequest;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Lets go of a request body the client abandoned mid-upload. Liberty's HTTP channel keeps the read
 * failure and rethrows it when the web container closes the body at the end of the request, which
 * it records as an FFDC incident (SRTServletRequest.finish, probe 875) although nothing is wrong on
 * the server. Re-pointing Liberty's servlet input stream at an empty stream (its public {@code
 * init(InputStream)}, the method the container itself uses to attach a body) makes that close a
 * no-op. On a container without that method this does nothing: the request still ends as a 400 and
 * one DEBUG line, and only the incident comes back.
 */
final class ContainerInput {

  private static final System.Logger LOG = System.getLogger(ContainerInput.class.getName());

  private ContainerInput() {}

  /** Detaches the request's body stream from the failed connection, if the container allows. */
  static void release(HttpServletRequest request) {
    try {
      var stream = request.getInputStream();
      MethodHandle init =
          MethodHandles.publicLookup()
              .findVirtual(
                  stream.getClass(), "init", MethodType.methodType(void.class, InputStream.class));
      init.invoke(stream, InputStream.nullInputStream());
    } catch (Throwable e) {
      LOG.log(System.Logger.Level.DEBUG, "request body stream not released: {0}", e.toString());
    }
  }
}
