// File: tests/apiserver/discovery.h
//
// The read-only documents clients fetch before they touch a resource: /version, the legacy
// discovery documents (APIVersions, APIGroupList, APIGroup, APIResourceList: kubectl falls back
// to them when it asks for aggregated discovery and gets plain JSON back), and OpenAPI v3 (the
// root index and one document per group-version, with the x-kubernetes-group-version-kind and
// fieldValidation parameter kubectl's validation probe looks for, and the component schemas of
// every served kind).
#ifndef HALLMARK_TESTS_APISERVER_DISCOVERY_H_
#define HALLMARK_TESTS_APISERVER_DISCOVERY_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tests/apiserver/registry.h"

namespace hallmark::tests::apiserver {

// kServerVersion: the Kubernetes version the server reports (kubectl 1.32's own).
inline constexpr char kServerGitVersion[] = "v1.32.0";

nlohmann::json VersionInfo();
nlohmann::json ApiVersions(const std::string& server_address);
nlohmann::json ApiGroupList(const Registry& registry);
// ApiGroup: null if the group is not served.
nlohmann::json ApiGroup(const Registry& registry, const std::string& group);
// ApiResourceList: null if the group/version is not served.
nlohmann::json ApiResourceList(const Registry& registry, const std::string& group,
                               const std::string& version);

// OpenApiV3Root: {"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=..."}}}.
nlohmann::json OpenApiV3Root(const Registry& registry);
// OpenApiV3Document: the document for "api/v1" or "apis/<group>/<version>"; kNotFound otherwise.
absl::StatusOr<nlohmann::json> OpenApiV3Document(const Registry& registry,
                                                 const std::string& group_version_path);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_DISCOVERY_H_
