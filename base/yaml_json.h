// File: base/yaml_json.h
//
// YAML to JSON as Kubernetes reads it (sigs.k8s.io/yaml over go-yaml v2, YAML 1.1 resolution),
// with a bound on what hostile input can cost. The one converter of the project: manifests
// (kubectl, hallmark-apiserver's --seed and apply patches), Kyverno policies, Tekton runs.
//
//   HM_ASSIGN_OR_RETURN(std::vector<nlohmann::json> docs, ParseYamlDocuments(text));
//
// Values: mappings become objects, sequences arrays. Quoted and block scalars are strings. A plain
// (unquoted) scalar is
//   - null: empty, `~`, `null`, `Null`, `NULL`;
//   - a boolean: `true`/`false`, `yes`/`no`, `on`/`off`, `y`/`n` (each also Capitalised or UPPER);
//   - an integer as Go's strconv.ParseInt(s, 0, 64) reads it once `_` are removed (`0777` octal,
//     `0x1F`, `0b101`, `0o17`; above int64, unsigned up to 2^64-1);
//   - a float when it reads as one (`1.5`, `.5`, `1e3`, `1.10` is 1.1, `08` is 8); a float with an
//     integral value becomes that integer (`1.0` is 1), as it does in the JSON sigs.k8s.io/yaml
//     writes; `.inf`/`.nan` are errors (JSON has no such number); one too large for a double
//     stays a string;
//   - a string otherwise (including timestamps such as `2024-01-01`).
// Explicit tags: `!!str` (and `!!binary`, base64-decoded) force a string, `!!int`/`!!float`/
// `!!bool`/`!!null`/`!!timestamp` must match the text (`!!float 1` is allowed), any other tag is
// ignored and the text is a string.
// Keys: a plain key resolves like a value and becomes its text: `yes:` and `true:` are "true",
// `0x10:` is "16", `1.50:` is "1.5" (Go's float32 %g). A null key, a mapping or sequence key, and
// an integer key above int64 are errors. `<<` merges a mapping (or a sequence of mappings, the
// first winning) into the one that holds it, with go-yaml v2's precedence (a merge overrides the
// keys before it, the keys after it override the merge).
//
// Bounds: at most YamlOptions::max_depth levels of nesting; aliases may not expand the stream to
// more nodes than it has bytes (plus 1024), nor beyond kMaxYamlNodes (a "billion laughs" document
// is rejected, not expanded). The stream is read as go-yaml reads it: UTF-8 only (a UTF-16 byte
// order mark is refused), no control characters ("control characters are not allowed"), CR LF
// and a lone CR read as LF. yaml-cpp 0.7.0's
// runaway on a top-level ',' is caught first (base/yaml_stream.h).
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

struct YamlOptions {
  // The root is level 0; a node deeper than this is an error.
  int max_depth = kMaxYamlDepth;
  // false: a key repeated in one mapping is an error (ambiguous input: a policy or manifest means
  // one thing to us and maybe another to a reader that keeps the first). true: the last one wins,
  // as in what the Kubernetes API server stores by default (fieldValidation=Warn).
  bool last_duplicate_key_wins = false;
};

// ParseYamlDocuments: every non-null document of a `---`-separated stream, in order (a stream of
// comments only gives an empty list). kInvalidArgument, with the line (and column where the
// parser has it), for malformed YAML, a document over the depth or node bounds, a key that cannot
// be a JSON key, a duplicate key (unless allowed), a scalar that is not UTF-8 or does not match
// its tag, and `.inf`/`.nan`.
absl::StatusOr<std::vector<nlohmann::json>> ParseYamlDocuments(absl::string_view text,
                                                               const YamlOptions& options = {});

// ParseYaml: the one document of `text` (null if it has none). Errors as above, and
// kInvalidArgument if it has several.
absl::StatusOr<nlohmann::json> ParseYaml(absl::string_view text, const YamlOptions& options = {});

// ParseYamlOrJson: the documents of `text` when it is YAML, or the one JSON value (a JSON `List`
// kind is NOT unpacked) when it starts with `{` or `[`; JSON is parsed without exceptions and
// must be a complete value. Errors as above, or kInvalidArgument for invalid JSON.
absl::StatusOr<std::vector<nlohmann::json>> ParseYamlOrJson(absl::string_view text,
                                                            const YamlOptions& options = {});

// JsonToYaml: a block-style YAML document for `value` (keys and strings that would read back as
// something else, such as "true", "yes", "1.0", "<<" or "", are double-quoted; keys in the JSON
// object's order), ending with a newline. ParseYaml gives `value` back.
std::string JsonToYaml(const nlohmann::json& value);

}  // namespace hallmark

#endif  // HALLMARK_BASE_YAML_JSON_H_
