#include "kube/resource.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"

namespace hallmark::kube {
namespace {

Resource Make(const char* group, const char* version, const char* plural, const char* kind,
              bool namespaced) {
  Resource r;
  r.group = group;
  r.version = version;
  r.plural = plural;
  r.kind = kind;
  r.namespaced = namespaced;
  return r;
}

std::string Prefix(const Resource& r) {
  if (r.group.empty()) return absl::StrCat("/api/", r.version);
  return absl::StrCat("/apis/", r.group, "/", r.version);
}

}  // namespace

std::string Resource::ApiVersion() const {
  return group.empty() ? version : absl::StrCat(group, "/", version);
}

std::string Resource::GroupResource() const {
  return group.empty() ? plural : absl::StrCat(plural, ".", group);
}

const Resource& TaskRunsV1() {
  static const Resource* r = new Resource(Make("tekton.dev", "v1", "taskruns", "TaskRun", true));
  return *r;
}
const Resource& PipelineRunsV1() {
  static const Resource* r =
      new Resource(Make("tekton.dev", "v1", "pipelineruns", "PipelineRun", true));
  return *r;
}
const Resource& ConfigMaps() {
  static const Resource* r = new Resource(Make("", "v1", "configmaps", "ConfigMap", true));
  return *r;
}
const Resource& Secrets() {
  static const Resource* r = new Resource(Make("", "v1", "secrets", "Secret", true));
  return *r;
}
const Resource& CoreEvents() {
  static const Resource* r = new Resource(Make("", "v1", "events", "Event", true));
  return *r;
}
const Resource& Leases() {
  static const Resource* r =
      new Resource(Make("coordination.k8s.io", "v1", "leases", "Lease", true));
  return *r;
}
const Resource& Namespaces() {
  static const Resource* r = new Resource(Make("", "v1", "namespaces", "Namespace", false));
  return *r;
}
const Resource& ClusterPolicies() {
  static const Resource* r =
      new Resource(Make("kyverno.io", "v1", "clusterpolicies", "ClusterPolicy", false));
  return *r;
}

absl::Status ValidateName(absl::string_view what, absl::string_view name) {
  if (name.empty() || name.size() > 253 || name == "." || name == "..") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid ", what, " \"", absl::CHexEscape(name.substr(0, 64)),
                     "\": want 1-253 characters, not \".\" or \"..\""));
  }
  for (char c : name) {
    if (!(absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':')) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid ", what, " \"", absl::CHexEscape(name.substr(0, 64)),
                       "\": only letters, digits and . _ : - are allowed"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CollectionPath(const Resource& resource, absl::string_view ns) {
  HM_RETURN_IF_ERROR(ValidateName("resource", resource.plural));
  HM_RETURN_IF_ERROR(ValidateName("version", resource.version));
  if (!resource.group.empty()) HM_RETURN_IF_ERROR(ValidateName("group", resource.group));
  if (ns.empty()) return absl::StrCat(Prefix(resource), "/", resource.plural);
  if (!resource.namespaced) {
    return absl::InvalidArgumentError(
        absl::StrCat(resource.GroupResource(), " is cluster-scoped: no namespace allowed"));
  }
  HM_RETURN_IF_ERROR(ValidateName("namespace", ns));
  return absl::StrCat(Prefix(resource), "/namespaces/", ns, "/", resource.plural);
}

absl::StatusOr<std::string> ObjectPath(const Resource& resource, absl::string_view ns,
                                       absl::string_view name, absl::string_view subresource) {
  if (resource.namespaced && ns.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(resource.GroupResource(), " is namespaced: a namespace is required"));
  }
  HM_ASSIGN_OR_RETURN(std::string path, CollectionPath(resource, ns));
  HM_RETURN_IF_ERROR(ValidateName("name", name));
  absl::StrAppend(&path, "/", name);
  if (!subresource.empty()) {
    HM_RETURN_IF_ERROR(ValidateName("subresource", subresource));
    absl::StrAppend(&path, "/", subresource);
  }
  return path;
}

std::string QueryEscape(absl::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size());
  for (unsigned char c : value) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string BuildQuery(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    absl::StrAppend(&out, out.empty() ? "?" : "&", QueryEscape(key), "=", QueryEscape(value));
  }
  return out;
}

}  // namespace hallmark::kube
