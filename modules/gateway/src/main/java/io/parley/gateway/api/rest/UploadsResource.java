package io.parley.gateway.api.rest;

import io.parley.files.v1.AddUploadPartResponse;
import io.parley.gateway.application.FileBackend;
import io.parley.gateway.application.FileStorage;
import io.parley.gateway.domain.InvalidRequestException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The Uploads API for large files: {@code POST /v1/uploads} (JSON {@code filename}, {@code
 * purpose}, {@code bytes}, {@code mime_type}), {@code POST /v1/uploads/{id}/parts} (multipart
 * {@code data}, streamed), {@code POST /v1/uploads/{id}/complete} ({@code part_ids} in file order,
 * optional {@code md5}) and {@code POST /v1/uploads/{id}/cancel}.
 */
@ApplicationScoped
@Path("/v1/uploads")
public class UploadsResource {

  private FileStorage files;
  private long maxBodyBytes;
  private long maxPartBytes;

  /** For CDI proxies. */
  protected UploadsResource() {}

  @Inject
  public UploadsResource(
      FileStorage files,
      @ConfigProperty(name = "parley.gateway.max-body-bytes") long maxBodyBytes,
      @ConfigProperty(name = "parley.files.max-part-bytes") long maxPartBytes) {
    this.files = files;
    this.maxBodyBytes = maxBodyBytes;
    this.maxPartBytes = maxPartBytes;
  }

  @POST
  public jakarta.ws.rs.core.Response create(
      @Context HttpHeaders headers, @Context HttpServletRequest request, InputStream body) {
    var json =
        RequestBodies.read(
            headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
            GenerationEndpoint.contentLength(headers),
            body,
            maxBodyBytes);
    var filename = Params.string(required(json, "filename"), "filename");
    var purpose = Params.string(required(json, "purpose"), "purpose");
    var bytes = Params.integer(required(json, "bytes"), "bytes", 1, Long.MAX_VALUE);
    var mimeType = Params.string(required(json, "mime_type"), "mime_type");
    return FilesResource.json(
        FileObjects.of(
            files.createUpload(Callers.of(request), filename, purpose, bytes, mimeType)));
  }

  private static com.fasterxml.jackson.databind.JsonNode required(
      com.fasterxml.jackson.databind.node.ObjectNode json, String param) {
    var node = json.get(param);
    if (node == null || node.isNull()) {
      throw Params.missing(param);
    }
    return node;
  }

  @POST
  @Path("{id}/parts")
  public jakarta.ws.rs.core.Response addPart(
      @Context HttpHeaders headers,
      @Context HttpServletRequest request,
      @PathParam("id") String id,
      InputStream body) {
    var caller = Callers.of(request);
    var state =
        new Object() {
          FileBackend.ByteSink<AddUploadPartResponse> sink;
        };
    try {
      MultipartBodies.read(
          headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
          GenerationEndpoint.contentLength(headers),
          body,
          maxPartBytes,
          part -> {
            if ("data".equals(part.getFieldName())) {
              if (state.sink != null) {
                throw new InvalidRequestException(
                    "Only one 'data' may be sent per part.", "data", "invalid_value");
              }
              state.sink = files.addPart(caller, id);
              FilesResource.copy(part.getInputStream(), state.sink);
            } else {
              MultipartBodies.skip(part);
            }
          });
      if (state.sink == null) {
        throw new InvalidRequestException(
            "Missing required parameter: 'data'.", "data", "missing_required_parameter");
      }
      return FilesResource.json(FileObjects.of(state.sink.finish().getPart()));
    } catch (RuntimeException e) {
      if (state.sink != null) {
        state.sink.abort();
      }
      throw e;
    }
  }

  @POST
  @Path("{id}/complete")
  public jakarta.ws.rs.core.Response complete(
      @Context HttpHeaders headers,
      @Context HttpServletRequest request,
      @PathParam("id") String id,
      InputStream body) {
    var json =
        RequestBodies.read(
            headers.getHeaderString(HttpHeaders.CONTENT_TYPE),
            GenerationEndpoint.contentLength(headers),
            body,
            maxBodyBytes);
    var ids = required(json, "part_ids");
    if (!ids.isArray()) {
      throw Params.invalidType("part_ids", "an array", ids);
    }
    Params.maxItems(ids, "part_ids", 10_000);
    var partIds = new ArrayList<String>();
    for (int i = 0; i < ids.size(); i++) {
      partIds.add(Params.string(ids.get(i), "part_ids[" + i + "]"));
    }
    var md5 = json.get("md5");
    return FilesResource.json(
        FileObjects.of(
            files.complete(
                Callers.of(request),
                id,
                partIds,
                md5 == null || md5.isNull()
                    ? Optional.empty()
                    : Optional.of(Params.string(md5, "md5")).filter(m -> !m.isEmpty()))));
  }

  @POST
  @Path("{id}/cancel")
  public jakarta.ws.rs.core.Response cancel(
      @Context HttpServletRequest request, @PathParam("id") String id) {
    return FilesResource.json(FileObjects.of(files.cancel(Callers.of(request), id)));
  }
}
