// File: crypto/digest.h
//
// SHA-256 in the spellings the OCI and in-toto formats use.
#ifndef HALLMARK_CRYPTO_DIGEST_H_
#define HALLMARK_CRYPTO_DIGEST_H_

#include <string>

#include "absl/strings/string_view.h"

namespace hallmark::crypto {

// Sha256: the 32 raw digest bytes.
std::string Sha256(absl::string_view data);

// Sha256Hex: 64 lower-case hex digits (in-toto `digest.sha256`).
std::string Sha256Hex(absl::string_view data);

// Sha256Digest: "sha256:<64 hex>" (OCI descriptor digest, docker-manifest-digest).
std::string Sha256Digest(absl::string_view data);

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_DIGEST_H_
