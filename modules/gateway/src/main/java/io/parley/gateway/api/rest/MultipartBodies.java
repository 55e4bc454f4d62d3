package io.parley.gateway.api.rest;

import io.parley.gateway.domain.ClientClosedRequestException;
import io.parley.gateway.domain.GatewayException;
import io.parley.gateway.domain.InvalidRequestException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.commons.fileupload2.core.AbstractFileUpload;
import org.apache.commons.fileupload2.core.DiskFileItem;
import org.apache.commons.fileupload2.core.DiskFileItemFactory;
import org.apache.commons.fileupload2.core.FileItemInput;
import org.apache.commons.fileupload2.core.FileItemInputIterator;
import org.apache.commons.fileupload2.core.FileUploadException;
import org.apache.commons.fileupload2.core.FileUploadFileCountLimitException;
import org.apache.commons.fileupload2.core.FileUploadSizeException;
import org.apache.commons.fileupload2.core.RequestContext;

/**
 * Reads a {@code multipart/form-data} body as it arrives (Apache Commons FileUpload's streaming
 * API): each part is handed over as a stream, nothing is buffered whole. The body is refused with
 * 413 before it is read when its {@code Content-Length} is past the limit, and while it is read
 * when it turns out longer (chunked bodies).
 */
final class MultipartBodies {

  private static final System.Logger LOG = System.getLogger(MultipartBodies.class.getName());

  /** Most parts in one body. */
  static final int MAX_PARTS = 16;

  /** Room for the part headers and boundaries around the largest file. */
  static final long OVERHEAD = 64 * 1024;

  private MultipartBodies() {}

  /** What a part handler gets. */
  interface PartHandler {
    /** Handles one part; must read its stream to the end (or stop the whole request). */
    void handle(FileItemInput part) throws IOException;
  }

  /**
   * Streams every part of the body to {@code handler}.
   *
   * @param maxFileBytes largest file part
   * @throws GatewayException 400 for a body that is not multipart or ends early, 413 past the size
   */
  static void read(
      String contentType,
      long contentLength,
      InputStream body,
      long maxFileBytes,
      PartHandler handler) {
    if (contentType == null
        || !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("multipart/form-data")) {
      throw new InvalidRequestException(
          "This endpoint takes multipart/form-data (Content-Type was "
              + (contentType == null ? "not set" : "'" + contentType + "'")
              + ").",
          null,
          "invalid_content_type");
    }
    long maxBody = maxFileBytes + OVERHEAD;
    if (contentLength > maxBody) {
      throw tooLarge(maxFileBytes);
    }
    var upload = new StreamingUpload();
    upload.setSizeMax(maxBody);
    upload.setFileSizeMax(maxFileBytes);
    upload.setFileCountMax(MAX_PARTS);
    try {
      FileItemInputIterator parts =
          upload.getItemIterator(new Context(contentType, contentLength, body));
      int count = 0;
      while (parts.hasNext()) {
        // FileUpload's file count limit is not applied to streamed parts: counted here.
        if (++count > MAX_PARTS) {
          throw tooManyParts();
        }
        handler.handle(parts.next());
      }
    } catch (FileUploadSizeException e) {
      throw sizeError(e, maxFileBytes, maxBody);
    } catch (IOException e) {
      if (e.getCause() instanceof FileUploadSizeException size) {
        throw sizeError(size, maxFileBytes, maxBody);
      }
      throw incomplete(e);
    }
  }

  /**
   * FileUpload reports three limits as size errors: the body or the file past its size (413), and
   * also too many parts or a part's headers past their size, which are malformed requests (400).
   */
  private static GatewayException sizeError(
      FileUploadSizeException e, long maxFileBytes, long maxBody) {
    if (e instanceof FileUploadFileCountLimitException) {
      return tooManyParts();
    }
    if (e.getPermitted() == maxBody || e.getPermitted() == maxFileBytes) {
      return tooLarge(maxFileBytes);
    }
    return new InvalidRequestException(
        "A part's headers are longer than "
            + e.getPermitted()
            + " bytes (a file name that long is not accepted).",
        null,
        "invalid_multipart");
  }

  /** A small text field, at most {@code max} bytes. */
  static String field(FileItemInput part, int max) throws IOException {
    try (var in = part.getInputStream()) {
      var bytes = in.readNBytes(max + 1);
      if (bytes.length > max) {
        throw new InvalidRequestException(
            "'" + part.getFieldName() + "' is longer than " + max + " bytes.",
            part.getFieldName(),
            "invalid_value");
      }
      return new String(bytes, StandardCharsets.UTF_8).strip();
    }
  }

  /** Reads and drops a part this endpoint does not use. */
  static void skip(FileItemInput part) throws IOException {
    try (var in = part.getInputStream()) {
      in.transferTo(java.io.OutputStream.nullOutputStream());
    }
  }

  private static GatewayException tooManyParts() {
    return new InvalidRequestException(
        "The multipart body has more than " + MAX_PARTS + " parts.", null, "too_many_parts");
  }

  static GatewayException tooLarge(long maxFileBytes) {
    return new GatewayException(
        413,
        GatewayException.INVALID_REQUEST,
        "file_too_large",
        "file",
        "The file is too large: the limit is " + maxFileBytes + " bytes.");
  }

  private static GatewayException incomplete(IOException e) {
    if (!(e instanceof FileUploadException)) {
      // The container's stream failed under the parser: the client went away mid-upload. Its
      // problem, worth one line for whoever debugs it (and the container's stream is let go).
      LOG.log(System.Logger.Level.DEBUG, "multipart body not read to its end: {0}", e.toString());
      return new ClientClosedRequestException();
    }
    return new GatewayException(
        400,
        GatewayException.INVALID_REQUEST,
        "invalid_multipart",
        null,
        "The multipart body could not be read to its end"
            + (e.getMessage() != null ? ": " + e.getMessage() : "."),
        Map.of());
  }

  /** The request as FileUpload sees it. */
  private record Context(String contentType, long contentLength, InputStream body)
      implements RequestContext {
    @Override
    public String getCharacterEncoding() {
      return StandardCharsets.UTF_8.name();
    }

    @Override
    public long getContentLength() {
      return contentLength;
    }

    @Override
    public String getContentType() {
      return contentType;
    }

    @Override
    public InputStream getInputStream() {
      return body;
    }

    @Override
    public boolean isMultipartRelated() {
      return false;
    }
  }

  /** FileUpload's streaming API on a plain request context; nothing is written to disk. */
  private static final class StreamingUpload
      extends AbstractFileUpload<RequestContext, DiskFileItem, DiskFileItemFactory> {

    @Override
    public FileItemInputIterator getItemIterator(RequestContext request)
        throws FileUploadException, IOException {
      return super.getItemIterator(request);
    }

    @Override
    public Map<String, List<DiskFileItem>> parseParameterMap(RequestContext request) {
      throw new UnsupportedOperationException("parts are streamed, never stored");
    }

    @Override
    public List<DiskFileItem> parseRequest(RequestContext request) {
      throw new UnsupportedOperationException("parts are streamed, never stored");
    }
  }
}
