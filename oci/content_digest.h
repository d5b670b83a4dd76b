// File: oci/content_digest.h
//
// Content addressing: the digest of bytes we are about to push, and the check that bytes a
// registry served are the bytes that were asked for. A registry's `Docker-Content-Digest` header
// is never used instead of hashing (DESIGN.md: fetched manifests and blobs are re-hashed).
// (crypto/digest.h has SHA-256 too, but oci/ may not depend on crypto/ (DESIGN.md arrows) and
// needs sha384/sha512 for the digests Digest::Parse accepts.)
#ifndef HALLMARK_OCI_CONTENT_DIGEST_H_
#define HALLMARK_OCI_CONTENT_DIGEST_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "oci/reference.h"

namespace hallmark::oci {

// Sha256Of: the sha256 digest of `data`.
Digest Sha256Of(absl::string_view data);

// DigestOf: the digest of `data` with `algorithm` ("sha256", "sha384" or "sha512"; anything
// else is treated as sha256 because Digest cannot hold another algorithm).
Digest DigestOf(absl::string_view data, absl::string_view algorithm);

// CheckContentDigest: OK if `data` hashes to `want` with want's algorithm. Otherwise
// kFailedPrecondition `<what>: content does not match digest <want> (got <actual>)`: the server
// (or something between) served other bytes; retrying the same server will not help.
absl::Status CheckContentDigest(absl::string_view data, const Digest& want, absl::string_view what);

}  // namespace hallmark::oci

#endif  // HALLMARK_OCI_CONTENT_DIGEST_H_
