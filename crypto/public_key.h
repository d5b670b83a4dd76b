// File: crypto/public_key.h
//
// PublicKey: a trusted verification key (ECDSA P-256/P-384/P-521, RSA 2048/3072/4096, Ed25519)
// parsed the way cosign, Kyverno and containers/image parse keys, and signature verification.
//
//   HM_ASSIGN_OR_RETURN(PublicKey key, PublicKey::ParsePem(cosign_pub));
//   HM_RETURN_IF_ERROR(key.Verify(payload, der_signature));
//
// Signatures: ECDSA as ASN.1 DER SEQUENCE{r, s} (what cosign writes and Go's VerifyASN1 reads;
// raw r||s is refused), RSA as PKCS#1 v1.5, Ed25519 as the 64-byte pure signature. The digest
// for ECDSA and RSA is SHA-256 unless overridden; see crypto/key_type.h for the policy.
//
// A PublicKey is an immutable value: cheap to copy (copies share one OpenSSL key), safe to use
// from many threads at once.
#ifndef HALLMARK_CRYPTO_PUBLIC_KEY_H_
#define HALLMARK_CRYPTO_PUBLIC_KEY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "crypto/key_type.h"
#include "openssl/evp.h"

namespace hallmark::crypto {

class PublicKey {
 public:
  // Most PEM blocks ParsePemKeys reads from one text (bounds an untrusted key list).
  static constexpr size_t kMaxKeysPerText = 64;

  // ParsePem reads a key file holding exactly one `PUBLIC KEY` (PKIX) or `RSA PUBLIC KEY`
  // (PKCS#1) PEM block. Errors (all kInvalidArgument): `PEM decoding failed` (no valid block),
  // `unknown Public key PEM file type: <type>. Are you passing the correct public key?`, several
  // blocks (cosign would silently use the first; we refuse, so a wrong file cannot pass), or an
  // unsupported key type/curve/size.
  static absl::StatusOr<PublicKey> ParsePem(absl::string_view pem);

  // ParsePemKeys reads every public key block of `text` in order, like Kyverno's
  // `keys.publicKeys` (several keys pasted one after another). Every block must be a public key;
  // at least one is required; at most kMaxKeysPerText. Errors as ParsePem.
  static absl::StatusOr<std::vector<PublicKey>> ParsePemKeys(absl::string_view text);

  // ParseDer reads a PKIX SubjectPublicKeyInfo DER (no trailing bytes). kInvalidArgument if
  // malformed or unsupported.
  static absl::StatusOr<PublicKey> ParseDer(absl::string_view pkix_der);

  // FromCertificatePem returns the key of the first `CERTIFICATE` block of `pem` (the leaf; any
  // following certificates, e.g. a chain, are ignored). The certificate is NOT validated (dates,
  // chain, usage): that is the caller's job. kInvalidArgument if there is no certificate, the
  // first block is something else, or the key is unsupported.
  static absl::StatusOr<PublicKey> FromCertificatePem(absl::string_view pem);

  // FromCertificateDer: as FromCertificatePem for one DER certificate.
  static absl::StatusOr<PublicKey> FromCertificateDer(absl::string_view der);

  // Verify checks `signature` over `data`. `hash` applies to ECDSA and RSA; it is ignored for
  // Ed25519 (always pure). OK only if the signature is valid; otherwise kInvalidArgument with
  // sigstore's wording (`invalid signature when validating ASN.1 encoded signature` for ECDSA,
  // `crypto/rsa: verification error`, `failed to verify signature` for Ed25519). Malformed
  // signatures are just invalid ones.
  absl::Status Verify(absl::string_view data, absl::string_view signature,
                      HashAlgorithm hash = kDefaultHash) const;

  KeyType type() const { return type_; }
  // der: the PKIX SubjectPublicKeyInfo DER; two keys are the same key iff their DER is equal.
  const std::string& der() const { return der_; }
  // Pem: `PUBLIC KEY` PEM as cosign writes cosign.pub (64-character lines, final newline).
  std::string Pem() const;

  // evp_pkey: the OpenSSL key, for crypto/ internals (key ids). Borrowed: valid while this
  // PublicKey or a copy of it lives. Do not modify it.
  const EVP_PKEY* evp_pkey() const { return pkey_.get(); }

  friend bool operator==(const PublicKey& a, const PublicKey& b) { return a.der_ == b.der_; }
  friend bool operator!=(const PublicKey& a, const PublicKey& b) { return !(a == b); }

 private:
  PublicKey(std::shared_ptr<EVP_PKEY> pkey, std::string der, KeyType type)
      : pkey_(std::move(pkey)), der_(std::move(der)), type_(type) {}

  std::shared_ptr<EVP_PKEY> pkey_;  // never modified after construction
  std::string der_;
  KeyType type_;
};

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_PUBLIC_KEY_H_
