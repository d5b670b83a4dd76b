// File: crypto/simple_signing.h
//
// The cosign "simple signing" payload (shared/reference/cosign-kyverno.md §2.1): the exact bytes
// a `.sig` layer holds and the image signature is made over.
//
//   {"critical":{"identity":{"docker-reference":"<R>"},
//                "image":{"docker-manifest-digest":"sha256:<hex>"},
//                "type":"cosign container image signature"},
//    "optional":null}                     (or an object of string annotations)
//
// Two readers, because the verifiers we stand in for disagree:
//   ParseLenient = cosign's SimpleClaimVerifier (and Kyverno): any well-typed JSON is accepted;
//     the caller checks only the digest (and wanted annotations).
//   ParseStrict = containers/image's "paranoid" parser: exact key sets, no duplicate keys,
//     `optional` present, known type, a valid digest.
#ifndef HALLMARK_CRYPTO_SIMPLE_SIGNING_H_
#define HALLMARK_CRYPTO_SIMPLE_SIGNING_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::crypto {

inline constexpr absl::string_view kSimpleSigningType = "cosign container image signature";
inline constexpr absl::string_view kSimpleSigningMediaType =
    "application/vnd.dev.cosign.simplesigning.v1+json";

struct SimpleSigningPayload {
  std::string docker_reference;  // critical.identity.docker-reference ("" if absent, lenient)
  std::string manifest_digest;   // critical.image.docker-manifest-digest, as found
  std::string type;              // critical.type, as found
  // The string-valued members of `optional` (cosign `-a k=v` annotations; containers/image's
  // `creator`). Members of other types are left out: they can never equal a wanted annotation.
  std::map<std::string, std::string> annotations;
  // `optional.timestamp` when it is an integer (containers/image writes it; ParseStrict requires
  // an integer if present).
  std::optional<int64_t> timestamp;

  // Build returns cosign's exact payload bytes: compact, in the key order above, strings
  // escaped as Go does, `"optional":null` when `annotations` is empty, else the annotations as
  // an object with sorted keys. kInvalidArgument unless `manifest_digest` matches
  // ^sha256:[a-f0-9]{64}$ and `docker_reference` is non-empty.
  static absl::StatusOr<std::string> Build(
      absl::string_view docker_reference, absl::string_view manifest_digest,
      const std::map<std::string, std::string>& annotations = {});

  // ParseLenient: cosign's reading. The payload must be a JSON object; `critical`, `identity`,
  // `image` must be objects (or null/absent), the three strings strings (or null/absent),
  // `optional` an object or null/absent. Unknown keys are ignored; a later duplicate key wins.
  // Unlike Go, key names match case-sensitively (stricter, so fail-closed). kInvalidArgument
  // on anything else. The caller compares `manifest_digest` with the image digest: this parser
  // does not require one.
  static absl::StatusOr<SimpleSigningPayload> ParseLenient(absl::string_view payload);

  // ParseStrict: containers/image's reading. Exactly {critical, optional} at the top (optional
  // may be null), critical exactly {type, image, identity}, image exactly
  // {docker-manifest-digest}, identity exactly {docker-reference}; no duplicate keys; type ==
  // kSimpleSigningType (`Unrecognized signature type <t>`); the digest valid (sha256/384/512 with
  // the right number of lower-case hex digits); optional.creator a string and
  // optional.timestamp an integer when present. kInvalidArgument naming the rule broken.
  static absl::StatusOr<SimpleSigningPayload> ParseStrict(absl::string_view payload);
};

}  // namespace hallmark::crypto

#endif  // HALLMARK_CRYPTO_SIMPLE_SIGNING_H_
