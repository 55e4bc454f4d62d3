package io.parley.common.grpc.security;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import io.grpc.util.AdvancedTlsX509KeyManager;
import io.grpc.util.AdvancedTlsX509TrustManager;
import io.grpc.util.CertificateUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;

/**
 * This service's side of the platform's mutual TLS: its identity (certificate and key) and the
 * platform CA, read from files and reloaded when their content changes, so that a rotated Secret is
 * used for new connections without a restart. The certificates live in grpc-java's {@link
 * AdvancedTlsX509KeyManager} and {@link AdvancedTlsX509TrustManager}, which swap them in place;
 * this class checks the files every {@link GrpcSecurity#refresh()} (the library's own schedule has
 * a one-minute floor) and only swaps in a certificate whose key matches it. Servers require a
 * client certificate signed by the CA; clients check that the server presents the identity they
 * expect.
 */
public final class MutualTls implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(MutualTls.class.getName());

  private final GrpcSecurity settings;
  private final ScheduledExecutorService refresher;
  private final AdvancedTlsX509KeyManager keys = new AdvancedTlsX509KeyManager();
  private final List<AdvancedTlsX509TrustManager> trusts = new CopyOnWriteArrayList<>();
  private volatile String identityDigest = "";
  private volatile String caDigest = "";
  private volatile X509Certificate[] ca;
  private volatile String identity;

  private MutualTls(GrpcSecurity settings) {
    this.settings = settings;
    this.refresher =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("parley-tls-refresh").daemon().unstarted(r));
  }

  /**
   * Loads the identity and the CA and starts watching the files.
   *
   * @throws IllegalStateException when a file is missing or unreadable, the key does not match the
   *     certificate, or the certificate carries no platform identity
   */
  public static MutualTls load(GrpcSecurity settings) {
    var tls = new MutualTls(settings);
    try {
      tls.reloadIdentity();
      tls.reloadCa();
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      tls.close();
      throw new IllegalStateException(
          "Could not load the TLS identity or CA (parley.tls.cert-file "
              + settings.certFile()
              + ", parley.tls.key-file "
              + settings.keyFile()
              + ", parley.tls.ca-file "
              + settings.caFile()
              + "): "
              + e.getMessage(),
          e);
    }
    long every = settings.refresh().toMillis();
    tls.refresher.scheduleWithFixedDelay(tls::refresh, every, every, TimeUnit.MILLISECONDS);
    LOG.log(
        System.Logger.Level.INFO,
        "Mutual TLS as {0}, certificate {1}, CA {2}, checked for rotation every {3} ms",
        tls.identity,
        settings.certFile(),
        settings.caFile(),
        Long.toString(every));
    return tls;
  }

  /** The identity this service presents. */
  public String identity() {
    return identity;
  }

  /** Server credentials: this identity, and a client certificate from the platform CA required. */
  public ServerCredentials serverCredentials() {
    return TlsServerCredentials.newBuilder()
        .keyManager(keys)
        .trustManager(trust(null))
        .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
        .build();
  }

  /**
   * Client credentials: this identity, and a server certificate from the platform CA that carries
   * {@code serverIdentity} (host names are not checked: the identity is what is trusted, whatever
   * address the service is reached at).
   */
  public ChannelCredentials channelCredentials(String serverIdentity) {
    ServiceIdentity.requireValid(serverIdentity);
    return TlsChannelCredentials.newBuilder()
        .keyManager(keys)
        .trustManager(trust(serverIdentity))
        .build();
  }

  private AdvancedTlsX509TrustManager trust(String expectedPeer) {
    try {
      var builder =
          AdvancedTlsX509TrustManager.newBuilder()
              .setVerification(
                  AdvancedTlsX509TrustManager.Verification.CERTIFICATE_ONLY_VERIFICATION);
      if (expectedPeer != null) {
        builder.setSslSocketAndEnginePeerVerifier(new PeerIs(expectedPeer));
      }
      var trust = builder.build();
      trust.updateTrustCredentials(ca);
      trusts.add(trust);
      return trust;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("Could not use the TLS CA " + settings.caFile(), e);
    }
  }

  private void refresh() {
    try {
      reloadIdentity();
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "The rotated certificate {0} or key {1} could not be used; keeping the previous ones: {2}",
          settings.certFile(),
          settings.keyFile(),
          e.getMessage());
    }
    try {
      reloadCa();
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      LOG.log(
          System.Logger.Level.WARNING,
          "The rotated CA bundle {0} could not be used; keeping the previous one: {1}",
          settings.caFile(),
          e.getMessage());
    }
  }

  private void reloadIdentity() throws IOException, GeneralSecurityException {
    var certBytes = Files.readAllBytes(settings.certFile());
    var keyBytes = Files.readAllBytes(settings.keyFile());
    var digest = digest(certBytes, keyBytes);
    if (digest.equals(identityDigest)) {
      return;
    }
    var chain = CertificateUtils.getX509Certificates(new ByteArrayInputStream(certBytes));
    PrivateKey key = PemKeys.privateKey(keyBytes);
    if (chain.length == 0) {
      throw new CertificateException("No certificate in " + settings.certFile());
    }
    requireMatch(chain[0], key);
    var name =
        ServiceIdentity.of(chain[0])
            .orElseThrow(
                () ->
                    new CertificateException(
                        "The certificate carries no platform identity (a URI subject alternative"
                            + " name "
                            + ServiceIdentity.URI_PREFIX
                            + "<name>)"));
    if (identity != null && !identity.equals(name)) {
      throw new CertificateException(
          "The rotated certificate is for " + name + ", not for " + identity);
    }
    chain[0].checkValidity();
    keys.updateIdentityCredentials(chain, key);
    boolean first = identity == null;
    identity = name;
    identityDigest = digest;
    if (!first) {
      LOG.log(
          System.Logger.Level.INFO,
          "Reloaded the rotated TLS certificate {0} (valid until {1})",
          settings.certFile(),
          chain[0].getNotAfter().toInstant());
    }
  }

  private void reloadCa() throws IOException, GeneralSecurityException {
    var bytes = Files.readAllBytes(settings.caFile());
    var digest = digest(bytes);
    if (digest.equals(caDigest)) {
      return;
    }
    var certificates = CertificateUtils.getX509Certificates(new ByteArrayInputStream(bytes));
    if (certificates.length == 0) {
      throw new CertificateException("No CA certificate in " + settings.caFile());
    }
    for (var trust : trusts) {
      trust.updateTrustCredentials(certificates);
    }
    boolean first = ca == null;
    ca = certificates;
    caDigest = digest;
    if (!first) {
      LOG.log(
          System.Logger.Level.INFO,
          "Reloaded the rotated CA bundle {0} ({1} certificates)",
          settings.caFile(),
          Integer.toString(certificates.length));
    }
  }

  /** Fails unless the private key belongs to the certificate (sign, then verify). */
  private static void requireMatch(X509Certificate certificate, PrivateKey key)
      throws GeneralSecurityException {
    var algorithm =
        switch (key.getAlgorithm()) {
          case "EC" -> "SHA256withECDSA";
          case "RSA" -> "SHA256withRSA";
          case "Ed25519", "EdDSA" -> "Ed25519";
          default -> throw new CertificateException("Unsupported key type " + key.getAlgorithm());
        };
    var probe = "parley-key-check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    var signer = Signature.getInstance(algorithm);
    signer.initSign(key);
    signer.update(probe);
    var signature = signer.sign();
    var verifier = Signature.getInstance(algorithm);
    verifier.initVerify(certificate.getPublicKey());
    verifier.update(probe);
    if (!verifier.verify(signature)) {
      throw new CertificateException("The private key does not belong to the certificate");
    }
  }

  private static String digest(byte[]... parts) throws GeneralSecurityException {
    var sha = MessageDigest.getInstance("SHA-256");
    for (var part : parts) {
      sha.update(part);
      sha.update((byte) 0);
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Stops watching the files. */
  @Override
  public void close() {
    refresher.shutdownNow();
    trusts.clear();
  }

  /** Accepts a server only when its certificate carries the expected identity. */
  private record PeerIs(String identity)
      implements AdvancedTlsX509TrustManager.SslSocketAndEnginePeerVerifier {

    @Override
    public void verifyPeerCertificate(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      check(chain);
    }

    @Override
    public void verifyPeerCertificate(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      check(chain);
    }

    private void check(X509Certificate[] chain) throws CertificateException {
      if (chain == null
          || chain.length == 0
          || !ServiceIdentity.of(chain[0]).map(identity::equals).orElse(false)) {
        throw new CertificateException("The server is not " + ServiceIdentity.uri(identity));
      }
    }
  }
}
