// File: verifier/policy/image_extract.h
//
// Which images an admission object holds, and where (JSON pointers, for digest patches), as
// Kyverno's extractors find them:
//   Pod: /spec/{initContainers,containers,ephemeralContainers}/N/image DaemonSet, Deployment, Job,
//   StatefulSet, ReplicaSet, ReplicationController:
//                                          /spec/template/spec/.../N/image
//   CronJob:                               /spec/jobTemplate/spec/template/spec/.../N/image
// in that order (init, regular, ephemeral; index order) — a fixed order where Kyverno iterates a
// Go map, so "the last failing image" in a rule's message is deterministic here.
//
// Custom extractors (rule.imageExtractors[kind]) replace the defaults for their kind: `path`
// (`/`-separated, `*` expands every array element or object member), `value` (the field under
// path holding the image; default: path itself is the image), `key`/`name` (naming only), and
// `jmesPath`, of which this subset is supported: `@`, and the calls `trim_prefix(e, 'x')`,
// `trim_suffix(e, 'x')`, `to_lower(e)`, `to_upper(e)` nested over `@`. An image changed by a
// jmesPath cannot be digest-patched (Kyverno: "Image digest mutation may not be used when applying
// a JMESPath to an image").
#ifndef HALLMARK_VERIFIER_POLICY_IMAGE_EXTRACT_H_
#define HALLMARK_VERIFIER_POLICY_IMAGE_EXTRACT_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "verifier/policy/image_info.h"

namespace hallmark::verifier::policy {

struct ImageExtractor;  // verifier/policy/policy.h

struct ExtractedImage {
  std::string group;         // "initContainers", "containers", "ephemeralContainers", or "custom"
  std::string name;          // container name (or the extractor's key/name)
  ImageInfo info;            // info.pointer: where the image is
  bool transformed = false;  // a jmesPath changed the text: no digest patch
};

// Most images taken from one object (a Pod has a handful; this bounds hostile objects).
inline constexpr size_t kMaxImagesPerObject = 256;

// ExtractImages: the images of `object` (of `kind`) with `custom` extractors by kind (may be
// null). kInvalidArgument (naming the pointer) for an image field that is not a string or not an
// image reference, or more than kMaxImagesPerObject images.
absl::StatusOr<std::vector<ExtractedImage>> ExtractImages(
    const nlohmann::json& object, absl::string_view kind,
    const std::map<std::string, std::vector<ImageExtractor>>* custom);

// PodTemplatePrefix: "" for Pod, "/spec/template" for the pod controllers above,
// "/spec/jobTemplate/spec/template" for CronJob; nullopt-like "-" for other kinds.
std::string PodTemplatePrefix(absl::string_view kind);

// ValidateJmesPath: OK for the supported subset, kInvalidArgument otherwise.
absl::Status ValidateJmesPath(absl::string_view expression);
// ApplyJmesPath: the expression applied to a string value.
absl::StatusOr<std::string> ApplyJmesPath(absl::string_view expression, const std::string& value);

// EscapePointerToken: RFC 6901 escaping (~ -> ~0, / -> ~1).
std::string EscapePointerToken(absl::string_view token);

}  // namespace hallmark::verifier::policy

#endif  // HALLMARK_VERIFIER_POLICY_IMAGE_EXTRACT_H_
