// File: crypto/cosign_key.h
//
// cosign's encrypted private key files (shared/reference/cosign-kyverno.md §1.1-1.2): a PEM
// block `ENCRYPTED SIGSTORE PRIVATE KEY` (cosign >= 2.0.1) or `ENCRYPTED COSIGN PRIVATE KEY`
// (older cosign, containers/image, Tekton Chains' test keys) whose body is the JSON
//   {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"<b64>"},
//    "cipher":{"name":"nacl/secretbox","nonce":"<b64>"},"ciphertext":"<b64>"}
// key = scrypt(password, salt, N, r, p, 32); plaintext = NaCl secretbox open (libsodium) =
// PKCS#8 DER of an ECDSA, RSA or Ed25519 key.
//
//   HM_ASSIGN_OR_RETURN(PrivateKey key, LoadCosignKey(pem, SecretData("p")));
//   HM_ASSIGN_OR_RETURN(std::string file, EncryptCosignKey(key, password));
#ifndef HALLMARK_CRYPTO_COSIGN_KEY_H_
#define HALLMARK_CRYPTO_COSIGN_KEY_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_data.h"
#include "crypto/private_key.h"

namespace hallmark::crypto {

inline constexpr absl::string_view kSigstorePrivateKeyPemType = "ENCRYPTED SIGSTORE PRIVATE KEY";
inline constexpr absl::string_view kCosignPrivateKeyPemType = "ENCRYPTED COSIGN PRIVATE KEY";

// Largest key file LoadCosignKey reads (an RSA-4096 key file is about 3.5 KiB).
inline constexpr size_t kMaxCosignKeyFileBytes = 64 * 1024;

// IsCosignKeyPem: true if the first valid PEM block of `pem` has one of the two labels above.
bool IsCosignKeyPem(absl::string_view pem);

// LoadCosignKey decrypts a cosign key file with `password` (its exact bytes; empty is a valid
// password). Runs scrypt once (N=65536: ~0.1-0.3 s CPU, 64 MiB), so load once and keep the key.
// Errors (kInvalidArgument), with cosign's wording where it has one:
//   `invalid pem block`; `unsupported pem type: <type>`;
//   `decrypt: encrypted: unknown kdf name "<x>"` / `... unknown cipher name "<x>"`;
//   `decrypt: unsupported scrypt parameters` (checked BEFORE running scrypt: only
//     N in {32768, 65536, 131072} with r=8, p=1);
//   `decrypt: encrypted: incorrect nonce size`;
//   `decrypt: encrypted: decryption failed` (wrong password or tampered file; says nothing more);
//   `parsing private key: x509: ...` (the plaintext is not a supported PKCS#8 key);
//   a file larger than kMaxCosignKeyFileBytes or malformed JSON/base64 inside.
// Neither the password nor any key byte appears in an error message.
absl::StatusOr<PrivateKey> LoadCosignKey(absl::string_view pem, const SecretData& password);

enum class CosignKeyFormat {
  // What cosign >= 2.2 writes: `ENCRYPTED SIGSTORE PRIVATE KEY`, scrypt N=65536, r=8, p=1.
  kCurrent,
  // The oldest shape: `ENCRYPTED COSIGN PRIVATE KEY`, N=32768, r=8, p=1. The only one that
  // cosign <= 2.1, containers/image <= 5.27 and every skopeo before 1.14 can read.
  kLegacy,
};

// EncryptCosignKey writes `key` as a cosign key file: fresh 32-byte salt and 24-byte nonce,
// compact JSON in Go's key order, Go's PEM layout (64-character lines). The result holds no
// plaintext key bytes. kInternal only if OpenSSL/libsodium fail.
absl::StatusOr<std::string> EncryptCosignKey(const PrivateKey& key, const SecretData& password,
                                             CosignKeyFormat format = CosignKeyFormat::kCurrent);

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_COSIGN_KEY_H_
