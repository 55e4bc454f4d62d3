package io.parley.testing;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * Certificates for tests of the platform's mutual TLS, made in memory with BouncyCastle and written
 * as PEM files: a platform CA, one certificate per identity (the identity as the URI subject
 * alternative name {@code spiffe://parley/<name>}, plus {@code localhost} and {@code 127.0.0.1}),
 * and an unrelated CA that issues the same identities (which the platform must refuse).
 */
public final class TestCertificates {

  /** Every identity the platform knows. */
  public static final List<String> IDENTITIES =
      List.of("gateway", "inference", "embeddings", "safety", "usage", "files", "operator");

  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private final Path dir;

  private TestCertificates(Path dir) {
    this.dir = dir;
  }

  /**
   * Writes a platform CA ({@code ca.crt}), {@code <identity>.crt} / {@code <identity>.key} for
   * every identity, and the same identities from an unrelated CA under {@code foreign/}.
   */
  public static TestCertificates create(Path dir) {
    var platform = Authority.create("Parley test CA");
    var foreign = Authority.create("Unrelated test CA");
    platform.writeCertificate(dir.resolve("ca.crt"));
    foreign.writeCertificate(dir.resolve("foreign/ca.crt"));
    for (var identity : IDENTITIES) {
      platform
          .issue(identity)
          .write(dir.resolve(identity + ".crt"), dir.resolve(identity + ".key"));
      foreign
          .issue(identity)
          .write(
              dir.resolve("foreign/" + identity + ".crt"),
              dir.resolve("foreign/" + identity + ".key"));
    }
    platform.issue(null).write(dir.resolve("anonymous.crt"), dir.resolve("anonymous.key"));
    return new TestCertificates(dir);
  }

  /** The platform CA certificate. */
  public Path caFile() {
    return dir.resolve("ca.crt");
  }

  /** The certificate of an identity, issued by the platform CA. */
  public Path certFile(String identity) {
    return dir.resolve(identity + ".crt");
  }

  /** The private key of an identity's certificate. */
  public Path keyFile(String identity) {
    return dir.resolve(identity + ".key");
  }

  /** A certificate for the identity from an unrelated CA. */
  public Path foreignCertFile(String identity) {
    return dir.resolve("foreign/" + identity + ".crt");
  }

  /** The key of {@link #foreignCertFile}. */
  public Path foreignKeyFile(String identity) {
    return dir.resolve("foreign/" + identity + ".key");
  }

  /** A certificate from the platform CA that carries no identity. */
  public Path anonymousCertFile() {
    return dir.resolve("anonymous.crt");
  }

  /** The key of {@link #anonymousCertFile}. */
  public Path anonymousKeyFile() {
    return dir.resolve("anonymous.key");
  }

  /** The environment that makes a Parley server use an identity's certificate. */
  public Map<String, String> env(String identity) {
    return Map.of(
        "PARLEY_TLS_CERT_FILE", certFile(identity).toString(),
        "PARLEY_TLS_KEY_FILE", keyFile(identity).toString(),
        "PARLEY_TLS_CA_FILE", caFile().toString());
  }

  /** A certificate authority held in memory. */
  public static final class Authority {

    private final KeyPair keys;
    private final X509Certificate certificate;

    private Authority(KeyPair keys, X509Certificate certificate) {
      this.keys = keys;
      this.certificate = certificate;
    }

    /** Makes a self-signed CA. */
    public static Authority create(String name) {
      var keys = keyPair();
      var subject = new X500Name("CN=" + name);
      try {
        var builder =
            builder(subject, subject, keys)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(true))
                .addExtension(
                    Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign))
                .addExtension(
                    Extension.subjectKeyIdentifier,
                    false,
                    new JcaX509ExtensionUtils().createSubjectKeyIdentifier(keys.getPublic()));
        return new Authority(keys, sign(builder, keys.getPrivate()));
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }

    /** The CA certificate. */
    public X509Certificate certificate() {
      return certificate;
    }

    /** Writes the CA certificate as PEM. */
    public void writeCertificate(Path file) {
      writePem(file, List.of(pem(certificate)), false);
    }

    /**
     * Issues a certificate for an identity (client and server use), or with no identity when {@code
     * identity} is null.
     */
    public Issued issue(String identity) {
      return issue(
          identity,
          identity == null
              ? List.of()
              : List.of(
                  new GeneralName(
                      GeneralName.uniformResourceIdentifier, "spiffe://parley/" + identity)));
    }

    /**
     * Issues a certificate that carries its identity as a DNS name {@code
     * <identity>.identity.parley.internal}, as Helm's genSignedCert writes it.
     */
    public Issued issueWithDnsIdentity(String identity) {
      return issue(
          identity,
          List.of(new GeneralName(GeneralName.dNSName, identity + ".identity.parley.internal")));
    }

    private Issued issue(String identity, List<GeneralName> identityNames) {
      var keys = keyPair();
      var subject = new X500Name("CN=" + (identity == null ? "anonymous" : identity));
      try {
        var names = new ArrayList<GeneralName>();
        if (identity != null) {
          names.add(
              new GeneralName(
                  GeneralName.uniformResourceIdentifier, "spiffe://parley/" + identity));
        }
        names.add(new GeneralName(GeneralName.dNSName, "localhost"));
        names.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
        var utils = new JcaX509ExtensionUtils();
        var builder =
            builder(
                    X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
                    subject,
                    keys)
                .addExtension(Extension.basicConstraints, true, new BasicConstraints(false))
                .addExtension(
                    Extension.keyUsage,
                    true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment))
                .addExtension(
                    Extension.extendedKeyUsage,
                    false,
                    new ExtendedKeyUsage(
                        new KeyPurposeId[] {
                          KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth
                        }))
                .addExtension(
                    Extension.subjectAlternativeName,
                    false,
                    new GeneralNames(names.toArray(GeneralName[]::new)))
                .addExtension(
                    Extension.authorityKeyIdentifier,
                    false,
                    utils.createAuthorityKeyIdentifier(certificate));
        return new Issued(sign(builder, this.keys.getPrivate()), keys.getPrivate());
      } catch (IOException | GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * An issued certificate and its key.
   *
   * @param certificate the certificate
   * @param key its private key
   */
  public record Issued(X509Certificate certificate, PrivateKey key) {

    /**
     * Writes the certificate and the key (PKCS#8, owner-only) as PEM, each replaced atomically so
     * that a reader never sees half a file.
     */
    public void write(Path certFile, Path keyFile) {
      writePem(keyFile, List.of(new PemObject("PRIVATE KEY", key.getEncoded())), true);
      writePem(certFile, List.of(pem(certificate)), false);
    }
  }

  /** Writes several CA certificates into one bundle (a CA rotation). */
  public static void writeBundle(Path file, List<Authority> authorities) {
    writePem(file, authorities.stream().map(a -> pem(a.certificate())).toList(), false);
  }

  private static PemObject pem(X509Certificate certificate) {
    try {
      return new PemObject("CERTIFICATE", certificate.getEncoded());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void writePem(Path file, List<PemObject> objects, boolean secret) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      var text = new StringWriter();
      try (var writer = new PemWriter(text)) {
        for (var object : objects) {
          writer.writeObject(object);
        }
      }
      var temporary = Files.createTempFile(file.toAbsolutePath().getParent(), ".pem", ".tmp");
      if (secret) {
        Files.setPosixFilePermissions(temporary, PosixFilePermissions.fromString("rw-------"));
      }
      Files.writeString(temporary, text.toString());
      Files.move(
          temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static KeyPair keyPair() {
    try {
      var generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
    var now = Instant.now();
    return new JcaX509v3CertificateBuilder(
        issuer,
        BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(now.minus(Duration.ofHours(1))),
        Date.from(now.plus(Duration.ofDays(30))),
        subject,
        keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws GeneralSecurityException {
    try {
      var signer = new JcaContentSignerBuilder("SHA256withECDSA").build(key);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }
}
