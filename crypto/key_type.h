// File: crypto/key_type.h
//
// The key types Hallmark signs and verifies with, and the digest choice that goes with them.
//
// Hash policy (shared/reference/cosign-kyverno.md §1.6). Every verifier we must satisfy (cosign
// verify --key, containers/image, Kyverno's default `signatureAlgorithm: sha256`) uses SHA-256 for
// ECDSA on every curve and for RSA, so SHA-256 is the default for signing and verifying with any
// ECDSA or RSA key. cosign >= 2.6 signs P-384/P-521 with SHA-384/SHA-512: verify those with an
// explicit override (cosign --signature-digest-algorithm, Kyverno signatureAlgorithm).
//
// Ed25519 is always PURE Ed25519 (RFC 8032 §5.1, no prehash), for signing and verifying, and a
// hash override does not apply to it (cosign and Kyverno ignore the digest option for Ed25519
// keys too). Why not Ed25519ph, which cosign >= 2.6 signs with by default: cosign verify --key,
// containers/image and Kyverno all verify pure Ed25519 only, so an Ed25519ph signature would be
// accepted by none of them. Evidence in crypto/private_key_test.cc: a signature made with the
// fixture key cosign/keys/local-ed25519.key verifies with `openssl pkeyutl -verify -rawin` (pure),
// and the RFC 8032 §7.3 Ed25519ph vector does not verify as pure Ed25519.
#ifndef HALLMARK_CRYPTO_KEY_TYPE_H_
#define HALLMARK_CRYPTO_KEY_TYPE_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::crypto {

// RSA keys are accepted with a modulus of exactly 2048, 3072 or 4096 bits (cosign's
// import-key-pair set); anything else is refused when parsed.
enum class KeyType {
  kEcdsaP256,
  kEcdsaP384,
  kEcdsaP521,
  kRsa2048,
  kRsa3072,
  kRsa4096,
  kEd25519,
};

// KeyTypeName: "ecdsa-p256", "ecdsa-p384", "ecdsa-p521", "rsa-2048", "rsa-3072", "rsa-4096",
// "ed25519".
absl::string_view KeyTypeName(KeyType type);

// ParseKeyType: the inverse of KeyTypeName; kInvalidArgument for other names.
absl::StatusOr<KeyType> ParseKeyType(absl::string_view name);

bool IsEcdsa(KeyType type);
bool IsRsa(KeyType type);

enum class HashAlgorithm { kSha224, kSha256, kSha384, kSha512 };

// The default digest for ECDSA and RSA signatures (see the policy above).
inline constexpr HashAlgorithm kDefaultHash = HashAlgorithm::kSha256;

// HashAlgorithmName: "sha224", "sha256", "sha384", "sha512" (cosign's and Kyverno's spelling).
absl::string_view HashAlgorithmName(HashAlgorithm hash);

// ParseHashAlgorithm accepts exactly the names above (Kyverno `signatureAlgorithm`, cosign
// `--signature-digest-algorithm`); kInvalidArgument otherwise.
absl::StatusOr<HashAlgorithm> ParseHashAlgorithm(absl::string_view name);

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_KEY_TYPE_H_
