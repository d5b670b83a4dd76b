// File: crypto/key_files.h
//
// File-level entry points behind the cosign-compatible key verbs of the CLI
// (`generate-key-pair`, `import-key-pair`, `public-key`, `sign-blob`, `verify-blob`), so the
// command callbacks only parse flags and print. Other packages may use LoadPrivateKeyFile and
// LoadPublicKeyFile to read keys from disk.
#ifndef HALLMARK_CRYPTO_KEY_FILES_H_
#define HALLMARK_CRYPTO_KEY_FILES_H_

#include <cstddef>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/secret_data.h"
#include "crypto/cosign_key.h"
#include "crypto/key_type.h"
#include "crypto/private_key.h"
#include "crypto/public_key.h"

namespace hallmark::crypto {

// Largest key, public key or signature file read (real ones are a few KiB).
inline constexpr size_t kMaxKeyFileBytes = 64 * 1024;
// Largest blob sign-blob / verify-blob read into memory.
inline constexpr size_t kMaxBlobBytes = 256 * 1024 * 1024;

// Supplies a password when (and only when) one is needed.
using PasswordFn = std::function<absl::StatusOr<SecretData>()>;

struct KeyPairPaths {
  std::string private_key;  // <prefix>.key
  std::string public_key;   // <prefix>.pub
};

// WriteKeyPair encrypts `key` with `password` into <prefix>.key (mode 0600) and writes its
// public key to <prefix>.pub (0644), each atomically. Unless `overwrite`, kAlreadyExists if
// either file exists (nothing is written then).
absl::StatusOr<KeyPairPaths> WriteKeyPair(const PrivateKey& key, const SecretData& password,
                                          absl::string_view prefix, CosignKeyFormat format,
                                          bool overwrite);

// LoadPrivateKeyFile reads a signing key: a cosign key file (either label; `password` is called
// once to decrypt it) or an unencrypted `PRIVATE KEY` / `EC PRIVATE KEY` / `RSA PRIVATE KEY` PEM
// (no password asked). Errors as LoadCosignKey / PrivateKey::ParsePem, kNotFound for a missing
// file, or the password function's error.
absl::StatusOr<PrivateKey> LoadPrivateKeyFile(absl::string_view path, const PasswordFn& password);

// ImportPrivateKeyFile: cosign import-key-pair's reading of `path`: an UNENCRYPTED private key
// only (PrivateKey::ParsePem); an encrypted cosign key file gets `unsupported private key`.
absl::StatusOr<PrivateKey> ImportPrivateKeyFile(absl::string_view path);

// LoadPublicKeyFile: PublicKey::ParsePem of the file at `path`.
absl::StatusOr<PublicKey> LoadPublicKeyFile(absl::string_view path);

// ReadSignatureArg interprets verify-blob's --signature: the path of a file holding the
// base64 signature (whitespace allowed) or the raw signature bytes; or, if no such file exists,
// the base64 text itself. kInvalidArgument if it is neither.
absl::StatusOr<std::string> ReadSignatureArg(absl::string_view arg);

// SignBlob signs the file at `blob_path` ("-" = standard input) with the key at `key_path` and
// returns the signature as standard base64. A password is asked only for encrypted keys; both
// cannot come from standard input (kInvalidArgument, set COSIGN_PASSWORD).
absl::StatusOr<std::string> SignBlob(absl::string_view key_path, absl::string_view blob_path,
                                     const PasswordFn& password, HashAlgorithm hash = kDefaultHash);

// VerifyBlob checks the signature given by `signature_arg` (see ReadSignatureArg) over the file
// at `blob_path` ("-" = standard input) with the public key at `key_path`. OK only if valid.
absl::Status VerifyBlob(absl::string_view key_path, absl::string_view signature_arg,
                        absl::string_view blob_path, HashAlgorithm hash = kDefaultHash);

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_KEY_FILES_H_
