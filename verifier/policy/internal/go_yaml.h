// File: verifier/policy/internal/go_yaml.h
//
// The part of gopkg.in/yaml.v2's `yaml.Marshal` that Kyverno's denial text goes through
// (GetBlockedMessages marshals a map[string]map[string]string): block mappings indented by 2,
// keys in yaml.v2's "natural" order (sorter.go: letters before other characters, digit runs
// compared as numbers), and each string in the style yaml.v2 picks:
//   - literal block (`|-`) when it contains "\n" (double-quoted if that is not allowed);
//   - double-quoted when plain text would read back as another type (`true`, `1`, `null`, ``);
//   - plain when allowed (no `: `, ` #`, leading indicator, leading/trailing space...);
//   - single-quoted (`'` doubled) otherwise, double-quoted if it holds special characters.
// Long plain, single- and double-quoted values are folded like the emitter does with its default
// width 80: at the first single space met once the column is past 80, the line breaks and
// continues indented (4 for the values here). Columns count UTF-8 code points.
#ifndef HALLMARK_VERIFIER_POLICY_INTERNAL_GO_YAML_H_
#define HALLMARK_VERIFIER_POLICY_INTERNAL_GO_YAML_H_

#include <map>
#include <string>

#include "absl/strings/string_view.h"

namespace hallmark::verifier::policy::internal {

using NestedStringMap = std::map<std::string, std::map<std::string, std::string>>;

// MarshalGoYamlV2: what yaml.v2 Marshal returns for the map (ends with "\n"; "{}\n" if empty).
std::string MarshalGoYamlV2(const NestedStringMap& doc);

// GoYamlKeyLess: yaml.v2's key order for two string keys.
bool GoYamlKeyLess(absl::string_view a, absl::string_view b);

}  // namespace hallmark::verifier::policy::internal

#endif  // HALLMARK_VERIFIER_POLICY_INTERNAL_GO_YAML_H_
