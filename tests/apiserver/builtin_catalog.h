// File: tests/apiserver/builtin_catalog.h
//
// What the server knows without any CustomResourceDefinition: the built-in resources a deploy/
// folder, the agent, the webhook and kubectl use (core/v1, apps/v1, batch/v1, rbac, leases,
// events, admissionregistration, apiextensions, policy, networking, autoscaling, scheduling),
// their OpenAPI v3 schemas, and the CRDs this project pre-installs (tekton.dev pipelineruns,
// taskruns, pipelines, tasks; kyverno.io clusterpolicies, policies) as CustomResourceDefinition
// manifests.
//
// The schemas are written in a compact notation (see builtin_catalog.cc) and expanded into
// standard OpenAPI v3 component schemas named like kube-apiserver's
// ("io.k8s.api.core.v1.ConfigMap"), with the same x-kubernetes-patch-* metadata as the Go
// types. Deeply nested parts nobody validates here (probes, affinity, volume sources, status)
// are free-form objects (x-kubernetes-preserve-unknown-fields), so unknown-field detection
// covers the levels manifests usually get wrong, and never rejects a valid manifest.
#ifndef HALLMARK_TESTS_APISERVER_BUILTIN_CATALOG_H_
#define HALLMARK_TESTS_APISERVER_BUILTIN_CATALOG_H_

#include <map>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/apiserver/schema.h"

namespace hallmark::tests::apiserver {

struct BuiltinResource {
  std::string group;
  std::string version;
  std::string kind;
  std::string plural;
  std::string singular;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  bool status_subresource = false;
  bool has_generation = false;  // metadata.generation tracks spec changes
  bool create_only = false;     // a review-style resource: only `create`, nothing stored
  std::string schema;           // component name
  // Extra field selectors beyond metadata.name / metadata.namespace: label -> JSON path.
  std::map<std::string, std::string> field_selectors;
};

// BuiltinResources: the table above, in discovery order.
const std::vector<BuiltinResource>& BuiltinResources();

// BuiltinSchemas: the expanded component schemas (never empty; built once, thread-safe).
const SchemaSet& BuiltinSchemas();

// PreinstalledCrds: CustomResourceDefinition objects (apiextensions.k8s.io/v1) for the Tekton
// and Kyverno resources, created when the server starts without a data file.
std::vector<nlohmann::json> PreinstalledCrds();

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_BUILTIN_CATALOG_H_
