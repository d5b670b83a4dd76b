// File: tests/apiserver/registry.h
//
// The set of served resources: the built-in catalog plus one entry per served version of every
// established CustomResourceDefinition. A Registry is an immutable snapshot; the server builds a
// new one when a CRD is created, changed or deleted and swaps it in, so readers never lock.
//
//   HM_ASSIGN_OR_RETURN(auto registry, Registry::Build(crd_objects));
//   const ResourceInfo* pr = registry->Find("tekton.dev", "v1", "pipelineruns");
#ifndef HALLMARK_TESTS_APISERVER_REGISTRY_H_
#define HALLMARK_TESTS_APISERVER_REGISTRY_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "tests/apiserver/api_error.h"
#include "tests/apiserver/schema.h"

namespace hallmark::tests::apiserver {

struct ResourceInfo {
  std::string group;
  std::string version;
  std::string resource;  // plural
  std::string singular;
  std::string kind;
  std::string list_kind;
  bool namespaced = true;
  std::vector<std::string> short_names;
  std::vector<std::string> categories;
  std::vector<std::string> verbs;
  bool status_subresource = false;
  // builtin: a compiled-in type: strategic merge patch accepted, list items carry no
  // apiVersion/kind, PUT without resourceVersion is an unconditional update, decode errors are
  // 400 (CRDs: 422).
  bool builtin = false;
  bool create_only = false;
  bool has_generation = false;
  std::string storage_version;  // objects are stored with apiVersion group/storage_version
  std::string schema_name;      // root schema in Registry::schemas()
  std::map<std::string, std::string> field_selectors;  // label -> JSON pointer
  nlohmann::json printer_columns;                      // CRD additionalPrinterColumns or null

  GroupResource gr() const { return {group, resource}; }
  // GroupVersion: "tekton.dev/v1", or "v1" for the core group.
  std::string GroupVersion() const;
  std::string StorageApiVersion() const;
  // StorageKey: identifies the stored collection across versions ("tekton.dev/pipelineruns").
  std::string StorageKey() const { return group + "/" + resource; }
};

class Registry {
 public:
  // Build: the built-in catalog plus the CRDs among `crds` (CustomResourceDefinition objects);
  // a CRD that fails ValidateCrd is skipped (it could not have been stored).
  static std::shared_ptr<const Registry> Build(const std::vector<nlohmann::json>& crds);

  // Find: the resource served at /apis/<group>/<version>/<resource> (or /api/v1/...), or null.
  const ResourceInfo* Find(const std::string& group, const std::string& version,
                           const std::string& resource) const;
  // FindKind: by apiVersion + kind, or null.
  const ResourceInfo* FindKind(const std::string& group, const std::string& version,
                               const std::string& kind) const;
  // ForStorageKey: every served version of one stored collection.
  std::vector<const ResourceInfo*> ForStorageKey(const std::string& storage_key) const;
  // ForGroupVersion: the resources of one group/version, in discovery order.
  std::vector<const ResourceInfo*> ForGroupVersion(const std::string& group,
                                                   const std::string& version) const;

  struct Group {
    std::string name;                   // "" for core
    std::vector<std::string> versions;  // preferred first
  };
  // Groups: every group with its versions (core first, then built-in groups, then CRD groups).
  const std::vector<Group>& groups() const { return groups_; }
  const std::vector<ResourceInfo>& resources() const { return resources_; }
  const SchemaSet& schemas() const { return schemas_; }

 private:
  Registry() = default;
  std::vector<ResourceInfo> resources_;
  std::vector<Group> groups_;
  SchemaSet schemas_;
};

// ValidateCrd: apiextensions validation of a CustomResourceDefinition object (name =
// plural.group, scope, names, exactly one storage version, schemas present).
std::vector<FieldError> ValidateCrd(const nlohmann::json& crd);

// CrdStatus: the status kube-apiserver's CRD controllers write for an accepted CRD
// (acceptedNames, storedVersions, NamesAccepted and Established conditions at `now`).
nlohmann::json CrdStatus(const nlohmann::json& crd, const std::string& now);

// CompareKubeVersions: kube-aware version order (v2 > v1 > v1beta2 > v1beta1 > v1alpha1 > other);
// negative if a sorts before b in preference order.
int CompareKubeVersions(const std::string& a, const std::string& b);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_REGISTRY_H_
