package io.parley.gateway.api.rest;

import io.parley.gateway.api.rest.dto.StorageObject;
import io.parley.gateway.application.FileStorage;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Response;

/**
 * {@code GET /v1/organization/storage}: the bytes and files the caller's organization stores, and
 * its storage quota (0 = unlimited). Readers and owners may read it, like the usage endpoints.
 */
@ApplicationScoped
@Path("/v1/organization/storage")
public class StorageResource {

  private FileStorage files;

  /** For CDI proxies. */
  protected StorageResource() {}

  @Inject
  public StorageResource(FileStorage files) {
    this.files = files;
  }

  @GET
  public Response get(@Context HttpServletRequest request) {
    var usage = files.storage(Callers.of(request));
    return FilesResource.json(
        new StorageObject(
            "organization.storage", usage.getBytes(), usage.getFiles(), usage.getQuotaBytes()));
  }
}
