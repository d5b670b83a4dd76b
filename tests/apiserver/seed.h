// File: tests/apiserver/seed.h
//
// Reading objects from manifest files and folders (--seed): multi-document YAML, JSON, and
// `kind: List` (or any *List with items) flattened; folders are read recursively in name order,
// taking *.yaml, *.yml and *.json.
#ifndef HALLMARK_TESTS_APISERVER_SEED_H_
#define HALLMARK_TESTS_APISERVER_SEED_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace hallmark::tests::apiserver {

// ParseManifests: the objects in one YAML or JSON text (`source` names it in errors).
absl::StatusOr<std::vector<nlohmann::json>> ParseManifests(absl::string_view text,
                                                           absl::string_view source);

// LoadManifests: the objects of a file or folder. kNotFound if `path` does not exist.
absl::StatusOr<std::vector<nlohmann::json>> LoadManifests(const std::string& path);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_SEED_H_
