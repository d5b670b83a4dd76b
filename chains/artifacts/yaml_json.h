// File: chains/artifacts/yaml_json.h
//
// YAML (a Kubernetes manifest such as a TaskRun) to JSON, the way sigs.k8s.io/yaml (kubectl)
// converts it: mappings become objects, sequences arrays; a plain (unquoted) scalar becomes null
// (`~`, `null`, empty), a boolean (`true`/`false` in any case), an integer or a float when it reads
// as one, and a string otherwise; quoted scalars are always strings. Only the first document of a
// stream is read.
//
// Bounded: at most `kMaxYamlDepth` levels of nesting, and aliases may not expand the document to
// more nodes than it has bytes (plus 1024), nor beyond `kMaxYamlNodes` (a "billion laughs"
// document is rejected, not expanded).
#ifndef HALLMARK_CHAINS_ARTIFACTS_YAML_JSON_H_
#define HALLMARK_CHAINS_ARTIFACTS_YAML_JSON_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace hallmark::chains::artifacts {

// Deep enough for Kubernetes objects (a Tekton run is rarely 16 levels deep), and shallow enough
// that a run's spec embedded in a statement stays within protobuf's JSON converter limit (64
// message levels, and every JSON level inside a google.protobuf.Struct costs two).
inline constexpr int kMaxYamlDepth = 30;
inline constexpr size_t kMaxYamlNodes = 1000000;

// YamlToJson: kInvalidArgument with the parser's line and column for malformed YAML, for a
// document deeper than kMaxYamlDepth or larger than that node budget once aliases are expanded, and
// for a mapping key that is not a scalar, and for a scalar that is not valid UTF-8. An empty
// document gives null.
absl::StatusOr<nlohmann::json> YamlToJson(absl::string_view text);

}  // namespace hallmark::chains::artifacts

#endif  // HALLMARK_CHAINS_ARTIFACTS_YAML_JSON_H_
