// File: base/yaml_json.h
//
// YAML streams (Kubernetes manifests, Kyverno policies, `kubectl` output) to JSON, with a bound
// on what hostile input can cost. Mappings become objects, sequences arrays; a plain (unquoted)
// scalar becomes null (`~`, `null`, empty), a boolean (`true`/`false` in any case), an integer or
// a finite float when it reads as one (YAML 1.2 core schema), and a string otherwise; quoted and
// block scalars are always strings.
//
//   HM_ASSIGN_OR_RETURN(std::vector<nlohmann::json> docs, ParseYamlDocuments(text));
//
// Bounds: at most kMaxYamlDepth levels of nesting; aliases may not expand the stream to more nodes
// than it has bytes (plus 1024), nor beyond kMaxYamlNodes (a "billion laughs" document is
// rejected, not expanded). Scalars must be valid UTF-8 (JSON strings are).
//
// chains/artifacts/yaml_json.h (single document, depth tuned for protobuf) and
// tests/apiserver/yaml_json.h (YAML 1.1 resolution like sigs.k8s.io/yaml) predate this one.
#ifndef HALLMARK_BASE_YAML_JSON_H_
#define HALLMARK_BASE_YAML_JSON_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace hallmark {

inline constexpr int kMaxYamlDepth = 64;
inline constexpr size_t kMaxYamlNodes = 1000000;

// ParseYamlDocuments: every non-null document of a `---`-separated stream, in order (a stream of
// comments only gives an empty list). kInvalidArgument, with the line and column where the parser
// has them, for malformed YAML, a document over the depth or node bounds, a mapping key that is
// not a scalar, a duplicate key, or a scalar that is not UTF-8.
absl::StatusOr<std::vector<nlohmann::json>> ParseYamlDocuments(absl::string_view text);

// ParseYamlOrJson: the documents of `text` when it is YAML, or the one JSON value (a JSON `List`
// kind is NOT unpacked) when it starts with `{` or `[`; JSON is parsed without exceptions and
// must be a complete value. Errors as above, or kInvalidArgument for invalid JSON.
absl::StatusOr<std::vector<nlohmann::json>> ParseYamlOrJson(absl::string_view text);

// JsonToYaml: a block-style YAML document for `value` (strings that would read back as another
// type are quoted; keys in the JSON object's order), ending with a newline.
std::string JsonToYaml(const nlohmann::json& value);

}  // namespace hallmark

#endif  // HALLMARK_BASE_YAML_JSON_H_
