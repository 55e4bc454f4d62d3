package io.parley.common.grpc.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.parley.testing.TestCertificates;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.util.Base64;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.junit.jupiter.api.Test;

class ServiceIdentityTest {

  private final TestCertificates.Authority ca = TestCertificates.Authority.create("ca");

  @Test
  void uriSubjectAlternativeName_isTheIdentity() {
    assertThat(ServiceIdentity.of(ca.issue("gateway").certificate())).contains("gateway");
  }

  @Test
  void dnsIdentityName_isTheIdentity() {
    assertThat(ServiceIdentity.of(ca.issueWithDnsIdentity("usage").certificate()))
        .contains("usage");
  }

  @Test
  void certificateWithoutIdentityName_hasNone() {
    assertThat(ServiceIdentity.of(ca.issue(null).certificate())).isEmpty();
  }

  @Test
  void pkcs1RsaKey_asHelmWritesIt_isRead() throws Exception {
    var generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    var key = generator.generateKeyPair().getPrivate();
    var pkcs1 = PrivateKeyInfo.getInstance(key.getEncoded()).parsePrivateKey().toASN1Primitive();
    var pem =
        "-----BEGIN RSA PRIVATE KEY-----\n"
            + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(pkcs1.getEncoded())
            + "\n-----END RSA PRIVATE KEY-----\n";

    var read = PemKeys.privateKey(pem.getBytes(StandardCharsets.US_ASCII));

    assertThat(read.getEncoded()).isEqualTo(key.getEncoded());
  }
}
