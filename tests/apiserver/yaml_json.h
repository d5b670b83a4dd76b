// File: tests/apiserver/yaml_json.h
//
// YAML to JSON the way Kubernetes reads manifests (sigs.k8s.io/yaml, i.e. go-yaml v2 scalar
// resolution, YAML 1.1): plain `yes`/`on`/`y` are booleans, `0777` is octal, `1.10` is a float,
// quoted scalars are strings. Used for --seed files and `application/apply-patch+yaml` bodies.
#ifndef HALLMARK_TESTS_APISERVER_YAML_JSON_H_
#define HALLMARK_TESTS_APISERVER_YAML_JSON_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace hallmark::tests::apiserver {

// ParseYamlDocuments: every non-empty document of a `---`-separated stream, as JSON.
// kInvalidArgument with the line/column on a syntax error, on a non-JSON value (.inf), or when
// aliases expand beyond 1,000,000 nodes or 200 levels (bounded memory on hostile input).
absl::StatusOr<std::vector<nlohmann::json>> ParseYamlDocuments(absl::string_view text);

// ParseYaml: exactly one document (an empty stream is null).
absl::StatusOr<nlohmann::json> ParseYaml(absl::string_view text);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_YAML_JSON_H_
