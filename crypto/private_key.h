// File: crypto/private_key.h
//
// PrivateKey: a signing key held in an OpenSSL EVP_PKEY (ECDSA P-256/P-384/P-521, RSA
// 2048/3072/4096, Ed25519). Only crypto/ touches the key bytes; everyone else signs through
// Sign().
//
//   HM_ASSIGN_OR_RETURN(PrivateKey key, LoadCosignKey(pem, password));  // crypto/cosign_key.h
//   HM_ASSIGN_OR_RETURN(std::string sig, key.Sign(payload));            // DER ECDSA signature
//
// Thread safety: a PrivateKey is immutable after it is made. Sign() may be called from many
// threads at once on the same object or on copies (copies share one OpenSSL key; nothing is
// decrypted or derived again when signing, so an encrypted key pays its scrypt cost once, at
// load).
#ifndef HALLMARK_CRYPTO_PRIVATE_KEY_H_
#define HALLMARK_CRYPTO_PRIVATE_KEY_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_data.h"
#include "crypto/key_type.h"
#include "crypto/public_key.h"
#include "openssl/evp.h"

namespace hallmark::crypto {

class PrivateKey {
 public:
  // Generate makes a fresh key from OpenSSL's CSPRNG. kInternal only if OpenSSL fails.
  static absl::StatusOr<PrivateKey> Generate(KeyType type);

  // ParsePem reads an UNENCRYPTED private key PEM, as cosign import-key-pair does:
  // `PRIVATE KEY` (PKCS#8; what Chains' x509.pem holds), `EC PRIVATE KEY` (SEC1) or
  // `RSA PRIVATE KEY` (PKCS#1). The first valid PEM block is used. Errors (kInvalidArgument),
  // with cosign's wording: `invalid pem block` (none), `unsupported private key` (any other
  // type, including encrypted keys), `error parsing pkcs #8 private key`,
  // `error parsing ecdsa private key`, `error parsing rsa private key: ...`,
  // `unexpected private key` (PKCS#8 of another algorithm), `error validating rsa key: ...` /
  // `error validating ecdsa key: ...` (size or curve we do not support, or a file whose embedded
  // public key does not match its private key).
  static absl::StatusOr<PrivateKey> ParsePem(absl::string_view pem);

  // ParsePkcs8Der reads a PKCS#8 PrivateKeyInfo DER (the plaintext inside cosign key files).
  // kInvalidArgument with Go's x509 wording, e.g. `x509: failed to parse private key (use
  // ParseECPrivateKey instead for this key format)` for a SEC1 key, or `unsupported private key:
  // ...` (type, curve or size we do not support; public half not matching the private key).
  static absl::StatusOr<PrivateKey> ParsePkcs8Der(const SecretData& der);

  // Sign returns the signature over `data`: ASN.1 DER ECDSA, PKCS#1 v1.5 RSA, or 64-byte pure
  // Ed25519. `hash` is the digest for ECDSA and RSA (default SHA-256, see crypto/key_type.h);
  // it is ignored for Ed25519. kInternal only if OpenSSL fails.
  absl::StatusOr<std::string> Sign(absl::string_view data, HashAlgorithm hash = kDefaultHash) const;

  KeyType type() const { return public_key_.type(); }
  const PublicKey& public_key() const { return public_key_; }

  // InsecurePkcs8Der exports the key as PKCS#8 DER (to encrypt it into a cosign key file, or to
  // compare in tests). WARNING: key material; never log it or keep it longer than needed.
  absl::StatusOr<SecretData> InsecurePkcs8Der() const;

 private:
  PrivateKey(std::shared_ptr<EVP_PKEY> pkey, PublicKey public_key)
      : pkey_(std::move(pkey)), public_key_(std::move(public_key)) {}
  static absl::StatusOr<PrivateKey> FromEvp(std::shared_ptr<EVP_PKEY> pkey);

  std::shared_ptr<EVP_PKEY> pkey_;  // never modified after construction
  PublicKey public_key_;
};

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_PRIVATE_KEY_H_
