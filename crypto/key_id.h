// File: crypto/key_id.h
//
// The two key identifiers the formats we write carry.
#ifndef HALLMARK_CRYPTO_KEY_ID_H_
#define HALLMARK_CRYPTO_KEY_ID_H_

#include <string>

#include "absl/status/statusor.h"
#include "crypto/public_key.h"

namespace hallmark::crypto {

// SshFingerprint: `SHA256:<base64 without padding of SHA-256(SSH wire encoding of the key)>`,
// i.e. Go's ssh.FingerprintSHA256(ssh.NewPublicKey(pub)) / `ssh-keygen -lf`. Tekton Chains puts
// it in the DSSE `keyid` of the provenance it signs (reference/chains.md §6), and sigstore-go's
// v0.1 bundles use it as the publicKey hint. Wire encodings: ecdsa-sha2-nistp256/384/521
// (curve name + uncompressed point), ssh-rsa (e, n as mpints), ssh-ed25519 (32 raw bytes).
// kInternal only if OpenSSL cannot export the key's parameters.
absl::StatusOr<std::string> SshFingerprint(const PublicKey& key);

// PublicKeyHint: standard base64 (with padding) of SHA-256 of the PKIX DER: the
// `verificationMaterial.publicKey.hint` cosign writes in sigstore bundles.
std::string PublicKeyHint(const PublicKey& key);

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_KEY_ID_H_
