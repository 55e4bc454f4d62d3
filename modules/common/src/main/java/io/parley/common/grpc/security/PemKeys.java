package io.parley.common.grpc.security;

import io.grpc.util.CertificateUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * Reads a PEM private key: PKCS#8 ({@code BEGIN PRIVATE KEY}, RSA or EC: cert-manager with {@code
 * encoding: PKCS8}, openssl genpkey) through grpc-java's reader, or PKCS#1 ({@code BEGIN RSA
 * PRIVATE KEY}: Helm's genSignedCert, cert-manager's default), wrapped into PKCS#8.
 */
final class PemKeys {

  private static final String PKCS1_BEGIN = "-----BEGIN RSA PRIVATE KEY-----";
  private static final String PKCS1_END = "-----END RSA PRIVATE KEY-----";

  /** DER of AlgorithmIdentifier { rsaEncryption, NULL }. */
  private static final byte[] RSA_ALGORITHM = {
    0x30,
    0x0d,
    0x06,
    0x09,
    0x2a,
    (byte) 0x86,
    0x48,
    (byte) 0x86,
    (byte) 0xf7,
    0x0d,
    0x01,
    0x01,
    0x01,
    0x05,
    0x00
  };

  private PemKeys() {}

  static PrivateKey privateKey(byte[] pem) throws IOException, GeneralSecurityException {
    var text = new String(pem, StandardCharsets.US_ASCII);
    int begin = text.indexOf(PKCS1_BEGIN);
    if (begin < 0) {
      return CertificateUtils.getPrivateKey(new ByteArrayInputStream(pem));
    }
    int end = text.indexOf(PKCS1_END, begin);
    if (end < 0) {
      throw new InvalidKeySpecException("Unterminated RSA PRIVATE KEY block");
    }
    var pkcs1 = Base64.getMimeDecoder().decode(text.substring(begin + PKCS1_BEGIN.length(), end));
    var info = new ByteArrayOutputStream();
    info.writeBytes(new byte[] {0x02, 0x01, 0x00});
    info.writeBytes(RSA_ALGORITHM);
    info.writeBytes(tlv(0x04, pkcs1));
    return KeyFactory.getInstance("RSA")
        .generatePrivate(new PKCS8EncodedKeySpec(tlv(0x30, info.toByteArray())));
  }

  /** DER tag, definite length, content. */
  private static byte[] tlv(int tag, byte[] content) {
    var out = new ByteArrayOutputStream();
    out.write(tag);
    int length = content.length;
    if (length < 0x80) {
      out.write(length);
    } else {
      int bytes = length > 0xffffff ? 4 : length > 0xffff ? 3 : length > 0xff ? 2 : 1;
      out.write(0x80 | bytes);
      for (int i = bytes - 1; i >= 0; i--) {
        out.write((length >>> (8 * i)) & 0xff);
      }
    }
    out.writeBytes(content);
    return out.toByteArray();
  }
}
