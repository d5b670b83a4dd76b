// File: chains/artifacts/digest.h
//
// Digests of type-hinted artifacts (`*ARTIFACT_DIGEST`, `*ARTIFACT_OUTPUTS.digest`,
// `*ARTIFACT_INPUTS.digest`), validated as Chains' artifacts.ParseDigest does
// (shared/reference/chains.md §3 C): `<alg>:<hex>` with exactly one `:`, the algorithm lower-cased
// and both parts trimmed; sha256 (64 hex), sha384 (96), sha512 (128) or sha1 (40), lower-case hex.
// Image digests are stricter: see oci::IsValidImageDigest.
#ifndef HALLMARK_CHAINS_ARTIFACTS_DIGEST_H_
#define HALLMARK_CHAINS_ARTIFACTS_DIGEST_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::chains::artifacts {

struct ArtifactDigest {
  std::string algorithm;  // "sha256", "sha384", "sha512" or "sha1"
  std::string hex;
};

// ParseArtifactDigest: kInvalidArgument saying what is wrong (no or several `:`, unsupported
// algorithm, wrong length, non-hex or upper-case digit). The message quotes at most the first 80
// characters of `text`.
absl::StatusOr<ArtifactDigest> ParseArtifactDigest(absl::string_view text);

}  // namespace hallmark::chains::artifacts

#endif  // HALLMARK_CHAINS_ARTIFACTS_DIGEST_H_
