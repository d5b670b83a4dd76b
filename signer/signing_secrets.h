// File: signer/signing_secrets.h
//
// The signing key from Tekton Chains' `signing-secrets` Secret, read exactly as Chains reads it
// (reference/chains.md §6), from the Secret's data or from the folder it is mounted at:
//
//   1. `x509.pem`: an unencrypted private key PEM (PKCS#8 `PRIVATE KEY` as Chains writes it; SEC1
//      and PKCS#1 are accepted too, and Ed25519/RSA keys as well as ECDSA - Chains takes ECDSA
//      only, although its docs promise Ed25519);
//   2. otherwise `cosign.key` (an encrypted cosign key) with `cosign.password`, whose bytes are
//      the password verbatim (no newline is stripped, as in Chains);
//   3. otherwise: `no valid private key found, looked for: [x509.pem, cosign.key]`.
// A file that is present is used: a broken `x509.pem` is an error even when `cosign.key` is
// fine (Chains' precedence; we do not silently sign with another key than the one configured).
// An empty file counts as absent (what `--from-literal=x509.pem=` makes).
//
// Loading decrypts (scrypt, ~0.1-0.3 s) - callers load once per Secret version (SecretVersion)
// and keep the Signer: see signer/key_store.h.
#ifndef HALLMARK_SIGNER_SIGNING_SECRETS_H_
#define HALLMARK_SIGNER_SIGNING_SECRETS_H_

#include <cstddef>
#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_data.h"
#include "signer/signer.h"

namespace hallmark::signer {

inline constexpr absl::string_view kX509PemFile = "x509.pem";
inline constexpr absl::string_view kCosignKeyFile = "cosign.key";
inline constexpr absl::string_view kCosignPasswordFile = "cosign.password";
// Largest key file read (keys are a few KiB).
inline constexpr size_t kMaxSecretFileBytes = 64 * 1024;

// SecretFiles: file name (Secret data key) -> bytes.
using SecretFiles = std::map<std::string, SecretData>;

// LoadSigner: the Signer for the key `files` hold, by the precedence above. Errors are
// kFailedPrecondition (the Secret must be fixed; retrying does not help) and name the file and
// the problem, never key bytes or the password:
//   `no valid private key found, looked for: [x509.pem, cosign.key]`;
//   `cosign.key is present but cosign.password is missing`;
//   `x509.pem: <parse error>` / `cosign.key: <decrypt or parse error>` (crypto's wording, e.g.
//   `cosign.key: decrypt: encrypted: decryption failed` for a wrong password).
absl::StatusOr<std::unique_ptr<Signer>> LoadSigner(const SecretFiles& files);

// SecretVersion: a content hash of the key files (x509.pem, cosign.key, cosign.password) as 64
// hex digits; other files (cosign.pub) do not count. Equal versions load the same key.
std::string SecretVersion(const SecretFiles& files);

}  // namespace hallmark::signer

#endif  // HALLMARK_SIGNER_SIGNING_SECRETS_H_
