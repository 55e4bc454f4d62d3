package io.parley.common.grpc.security;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The identities of the platform and how a certificate carries one: a URI subject alternative name
 * {@code spiffe://parley/<name>} (cert-manager, openssl, SPIFFE tooling), or a DNS subject
 * alternative name {@code <name>.identity.parley.internal} (for issuers that cannot write URI
 * names, such as Helm's {@code genSignedCert}). A certificate must carry exactly one identity. Each
 * service has its own; {@link #OPERATOR} is for people and tools.
 */
public final class ServiceIdentity {

  /** The prefix of an identity's URI subject alternative name. */
  public static final String URI_PREFIX = "spiffe://parley/";

  /** The gateway (the public edge). */
  public static final String GATEWAY = "gateway";

  /** The inference service. */
  public static final String INFERENCE = "inference";

  /** The embeddings service. */
  public static final String EMBEDDINGS = "embeddings";

  /** The safety service. */
  public static final String SAFETY = "safety";

  /** The usage service. */
  public static final String USAGE = "usage";

  /** The files and fine-tuning service. */
  public static final String FILES = "files";

  /** People and tools that administer the platform (grpcurl, scripts). */
  public static final String OPERATOR = "operator";

  /** The suffix of an identity's DNS subject alternative name. */
  public static final String DNS_SUFFIX = ".identity.parley.internal";

  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,62}");
  private static final int DNS_SAN = 2;
  private static final int URI_SAN = 6;

  private ServiceIdentity() {}

  /** The identity a certificate carries, if it carries exactly one. */
  public static Optional<String> of(X509Certificate certificate) {
    try {
      var names = certificate.getSubjectAlternativeNames();
      if (names == null) {
        return Optional.empty();
      }
      String found = null;
      for (var name : names) {
        if (name.size() != 2
            || !(name.get(0) instanceof Integer type)
            || !(name.get(1) instanceof String value)) {
          continue;
        }
        String candidate = null;
        if (type == URI_SAN && value.startsWith(URI_PREFIX)) {
          candidate = value.substring(URI_PREFIX.length());
        } else if (type == DNS_SAN && value.endsWith(DNS_SUFFIX)) {
          candidate = value.substring(0, value.length() - DNS_SUFFIX.length());
        }
        if (candidate == null) {
          continue;
        }
        if (!NAME.matcher(candidate).matches() || (found != null && !found.equals(candidate))) {
          return Optional.empty();
        }
        found = candidate;
      }
      return Optional.ofNullable(found);
    } catch (CertificateParsingException e) {
      return Optional.empty();
    }
  }

  /** The URI subject alternative name of an identity. */
  public static String uri(String identity) {
    return URI_PREFIX + requireValid(identity);
  }

  /**
   * Checks an identity name: lower-case letters, digits and dashes, starting with a letter.
   *
   * @throws IllegalArgumentException when it is not one
   */
  public static String requireValid(String identity) {
    if (identity == null || !NAME.matcher(identity).matches()) {
      throw new IllegalArgumentException("Not an identity name: " + identity);
    }
    return identity;
  }
}
