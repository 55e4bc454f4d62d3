package io.parley.gateway.api.rest;

import io.parley.files.v1.UploadFileResponse;
import io.parley.gateway.api.rest.dto.FileDeleted;
import io.parley.gateway.api.rest.dto.FileList;
import io.parley.gateway.application.FileBackend;
import io.parley.gateway.application.FileStorage;
import io.parley.gateway.domain.Caller;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.InvalidRequestException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The Files API: {@code POST /v1/files} (multipart {@code file} and {@code purpose}, streamed to
 * the files service as it arrives), {@code GET /v1/files} (paged), {@code GET /v1/files/{id}},
 * {@code GET /v1/files/{id}/content} (streamed back) and {@code DELETE /v1/files/{id}}.
 */
@ApplicationScoped
@Path("/v1/files")
public class FilesResource {

  /** Bytes read from the request and sent to the files service per message. */
  static final int CHUNK = 256 * 1024;

  private FileStorage files;
  private long maxUploadBytes;

  /** For CDI proxies. */
  protected FilesResource() {}

  @Inject
  public FilesResource(
      FileStorage files,
      @ConfigProperty(name = "parley.files.max-upload-bytes") long maxUploadBytes) {
    this.files = files;
    this.maxUploadBytes = maxUploadBytes;
  }

  @POST
  public Response upload(
      @Context HttpHeaders headers, @Context HttpServletRequest request, InputStream body) {
    var file =
        upload(
            Callers.of(request),
            headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
            GenerationEndpoint.contentLength(headers),
            body);
    return json(FileObjects.of(file.getFile()));
  }

  UploadFileResponse upload(
      Caller caller, String contentType, long contentLength, InputStream body) {
    var state =
        new Object() {
          String purpose;
          FileBackend.ByteSink<UploadFileResponse> sink;
        };
    try {
      MultipartBodies.read(
          contentType,
          contentLength,
          body,
          maxUploadBytes,
          part -> {
            switch (part.getFieldName() == null ? "" : part.getFieldName()) {
              case "purpose" -> {
                state.purpose = MultipartBodies.field(part, 64);
                if (state.sink != null) {
                  state.sink.purpose(state.purpose);
                }
              }
              case "file" -> {
                if (state.sink != null) {
                  throw new InvalidRequestException(
                      "Only one 'file' may be uploaded per request.", "file", "invalid_value");
                }
                var name =
                    part.getName() == null || part.getName().isBlank() ? "file" : part.getName();
                state.sink = files.upload(caller, name, state.purpose == null ? "" : state.purpose);
                copy(part.getInputStream(), state.sink);
              }
              default -> MultipartBodies.skip(part);
            }
          });
      if (state.sink == null) {
        throw new InvalidRequestException(
            "Missing required parameter: 'file'.", "file", "missing_required_parameter");
      }
      if (state.purpose == null || state.purpose.isEmpty()) {
        throw new InvalidRequestException(
            "Missing required parameter: 'purpose'.", "purpose", "missing_required_parameter");
      }
      return state.sink.finish();
    } catch (RuntimeException e) {
      if (state.sink != null) {
        state.sink.abort();
      }
      throw e;
    }
  }

  /** Copies a part to the files service chunk by chunk (each write waits for flow control). */
  static void copy(InputStream in, FileBackend.ByteSink<?> sink) throws IOException {
    try (in) {
      var buffer = new byte[CHUNK];
      while (true) {
        int n = in.readNBytes(buffer, 0, buffer.length);
        if (n > 0) {
          sink.write(buffer, 0, n);
        }
        if (n < buffer.length) {
          return;
        }
      }
    }
  }

  @GET
  public Response list(
      @Context HttpServletRequest request,
      @QueryParam("purpose") String purpose,
      @QueryParam("limit") String limit,
      @QueryParam("order") String order,
      @QueryParam("after") String after) {
    int size = parseLimit(limit);
    boolean ascending = parseOrder(order);
    var page =
        files.list(
            Callers.of(request),
            Optional.ofNullable(purpose).filter(p -> !p.isEmpty()),
            size,
            ascending,
            Optional.ofNullable(after).filter(a -> !a.isEmpty()));
    var data = page.getFilesList().stream().map(FileObjects::of).toList();
    return json(
        new FileList(
            "list",
            data,
            data.isEmpty() ? null : data.getFirst().id(),
            data.isEmpty() ? null : data.getLast().id(),
            page.getHasMore()));
  }

  static int parseLimit(String limit) {
    if (limit == null || limit.isEmpty()) {
      return 10_000;
    }
    try {
      int value = Integer.parseInt(limit);
      if (value >= 1 && value <= 10_000) {
        return value;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidRequestException(
        "Invalid 'limit': expected an integer between 1 and 10000.", "limit", "invalid_value");
  }

  static boolean parseOrder(String order) {
    if (order == null || order.isEmpty() || order.equals("desc")) {
      return false;
    }
    if (order.equals("asc")) {
      return true;
    }
    throw new InvalidRequestException(
        "Invalid 'order': expected 'asc' or 'desc'.", "order", "invalid_value");
  }

  @GET
  @Path("{id}")
  public Response get(@Context HttpServletRequest request, @PathParam("id") String id) {
    return json(FileObjects.of(files.get(Callers.of(request), id)));
  }

  @DELETE
  @Path("{id}")
  public Response delete(@Context HttpServletRequest request, @PathParam("id") String id) {
    files.delete(Callers.of(request), id);
    return json(new FileDeleted(id, "file", true));
  }

  @GET
  @Path("{id}/content")
  public Response content(@Context HttpServletRequest request, @PathParam("id") String id) {
    var source = files.download(Callers.of(request), id);
    StreamingOutput output =
        out -> {
          try (source) {
            while (true) {
              Optional<byte[]> next;
              try {
                next = source.next();
              } catch (GatewayException e) {
                // The status line is sent: end the response short of its Content-Length.
                throw new IOException("The files service failed mid-download: " + e.getMessage());
              }
              if (next.isEmpty()) {
                break;
              }
              try {
                out.write(next.get());
              } catch (IOException clientGone) {
                return;
              }
            }
            out.flush();
          }
        };
    return Response.ok(output, MediaType.APPLICATION_OCTET_STREAM_TYPE)
        .header(HttpHeaders.CONTENT_LENGTH, source.file().getBytes())
        .build();
  }

  static Response json(Object body) {
    return Response.ok(Json.bytes(body), MediaType.APPLICATION_JSON_TYPE).build();
  }
}
