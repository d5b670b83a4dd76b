#include "tests/apiserver/registry.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "tests/apiserver/builtin_catalog.h"
#include "tests/apiserver/json_util.h"
#include "tests/apiserver/selector.h"

namespace hallmark::tests::apiserver {
namespace {

const std::vector<std::string>& StandardVerbs() {
  static const std::vector<std::string>* verbs = new std::vector<std::string>{
      "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
  return *verbs;
}

struct KubeVersion {
  bool kube_like = false;
  int major = 0;
  int stage = 0;  // 3 GA, 2 beta, 1 alpha
  int minor = 0;
};

KubeVersion ParseKubeVersion(const std::string& v) {
  KubeVersion out;
  if (v.size() < 2 || v[0] != 'v' || !std::isdigit(static_cast<unsigned char>(v[1]))) return out;
  size_t i = 1;
  while (i < v.size() && std::isdigit(static_cast<unsigned char>(v[i]))) ++i;
  if (!absl::SimpleAtoi(v.substr(1, i - 1), &out.major)) return out;
  if (i == v.size()) {
    out.kube_like = true;
    out.stage = 3;
    return out;
  }
  std::string rest = v.substr(i);
  int stage = 0;
  if (absl::StartsWith(rest, "alpha")) {
    stage = 1;
    rest = rest.substr(5);
  } else if (absl::StartsWith(rest, "beta")) {
    stage = 2;
    rest = rest.substr(4);
  } else {
    return out;
  }
  if (rest.empty() || !absl::SimpleAtoi(rest, &out.minor)) return out;
  for (char c : rest) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return out;
  }
  out.stage = stage;
  out.kube_like = true;
  return out;
}

std::string ReverseDomain(const std::string& group) {
  std::vector<std::string> parts = absl::StrSplit(group, '.');
  std::reverse(parts.begin(), parts.end());
  return absl::StrJoin(parts, ".");
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

constexpr char kObjectMetaRef[] =
    "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

// CrdRootSchema: the version's openAPIV3Schema with the object-level members every custom
// resource has (apiVersion, kind, metadata as ObjectMeta).
json CrdRootSchema(const json& version, const std::string& group, const std::string& kind) {
  const json* s = Path(version, {"schema", "openAPIV3Schema"});
  json schema = s != nullptr && s->is_object() ? *s : json{{"type", "object"}};
  if (!schema.contains("type")) schema["type"] = "object";
  json* props = EnsureObject(schema, "properties");
  if (props != nullptr) {
    (*props)["apiVersion"] = {{"type", "string"}};
    (*props)["kind"] = {{"type", "string"}};
    (*props)["metadata"] = {{"$ref", kObjectMetaRef}};
  }
  schema["x-kubernetes-group-version-kind"] =
      json::array({{{"group", group}, {"version", StringAt(version, {"name"})}, {"kind", kind}}});
  return schema;
}

std::map<std::string, std::string> SelectableFields(const json& version) {
  std::map<std::string, std::string> out;
  const json* fields = Member(version, "selectableFields");
  if (fields == nullptr || !fields->is_array()) return out;
  for (const auto& f : *fields) {
    std::string path = StringAt(f, {"jsonPath"});
    if (!absl::StartsWith(path, ".")) continue;
    std::string label = path.substr(1);
    out[label] = "/" + absl::StrReplaceAll(label, {{".", "/"}});
  }
  return out;
}

}  // namespace

std::string ResourceInfo::GroupVersion() const {
  return group.empty() ? version : absl::StrCat(group, "/", version);
}

std::string ResourceInfo::StorageApiVersion() const {
  return group.empty() ? storage_version : absl::StrCat(group, "/", storage_version);
}

int CompareKubeVersions(const std::string& a, const std::string& b) {
  KubeVersion va = ParseKubeVersion(a), vb = ParseKubeVersion(b);
  if (va.kube_like != vb.kube_like) return va.kube_like ? -1 : 1;
  if (!va.kube_like) return a.compare(b);
  if (va.stage != vb.stage) return va.stage > vb.stage ? -1 : 1;
  if (va.major != vb.major) return va.major > vb.major ? -1 : 1;
  if (va.minor != vb.minor) return va.minor > vb.minor ? -1 : 1;
  return 0;
}

std::vector<FieldError> ValidateCrd(const json& crd) {
  std::vector<FieldError> errs;
  std::string group = StringAt(crd, {"spec", "group"});
  std::string plural = StringAt(crd, {"spec", "names", "plural"});
  std::string kind = StringAt(crd, {"spec", "names", "kind"});
  std::string scope = StringAt(crd, {"spec", "scope"});
  std::string name = StringAt(crd, {"metadata", "name"});
  if (name != absl::StrCat(plural, ".", group)) {
    errs.push_back(FieldError::InvalidString("metadata.name", name,
                                             "must be spec.names.plural+\".\"+spec.group"));
  }
  if (group.empty()) {
    errs.push_back(FieldError::Required("spec.group", ""));
  } else if (!IsDns1123Subdomain(group).empty()) {
    errs.push_back(FieldError::InvalidString("spec.group", group,
                                             absl::StrJoin(IsDns1123Subdomain(group), ",")));
  } else if (!absl::StrContains(group, ".")) {
    errs.push_back(
        FieldError::InvalidString("spec.group", group, "should be a domain with at least one dot"));
  }
  if (scope != "Cluster" && scope != "Namespaced") {
    errs.push_back(FieldError::NotSupported("spec.scope", scope, {"Cluster", "Namespaced"}));
  }
  if (plural.empty()) errs.push_back(FieldError::Required("spec.names.plural", ""));
  if (kind.empty()) errs.push_back(FieldError::Required("spec.names.kind", ""));
  const json* versions = Path(crd, {"spec", "versions"});
  if (versions == nullptr || !versions->is_array() || versions->empty()) {
    errs.push_back(FieldError::Required("spec.versions",
                                        "must have exactly one version marked as storage version"));
    return errs;
  }
  int storage = 0;
  std::set<std::string> seen;
  for (size_t i = 0; i < versions->size(); ++i) {
    const json& v = (*versions)[i];
    std::string vname = StringAt(v, {"name"});
    std::string field = absl::StrCat("spec.versions[", i, "]");
    if (vname.empty()) {
      errs.push_back(FieldError::Required(field + ".name", ""));
    } else if (!seen.insert(vname).second) {
      errs.push_back(FieldError{FieldError::Type::kDuplicate, field + ".name", GoQuote(vname), ""});
    }
    const json* st = Member(v, "storage");
    if (st != nullptr && st->is_boolean() && st->get<bool>()) ++storage;
    if (Path(v, {"schema", "openAPIV3Schema"}) == nullptr) {
      errs.push_back(
          FieldError::Required(field + ".schema.openAPIV3Schema", "schemas are required"));
    }
  }
  if (storage != 1) {
    errs.push_back(FieldError::Invalid("spec.versions", "",
                                       "must have exactly one version marked as storage version"));
  }
  return errs;
}

json CrdStatus(const json& crd, const std::string& now) {
  json names = json::object();
  if (const json* n = Path(crd, {"spec", "names"}); n != nullptr && n->is_object()) names = *n;
  std::string kind = StringAt(names, {"kind"});
  if (!names.contains("singular")) names["singular"] = Lower(kind);
  if (!names.contains("listKind")) names["listKind"] = kind + "List";
  std::string storage;
  if (const json* vs = Path(crd, {"spec", "versions"}); vs != nullptr && vs->is_array()) {
    for (const auto& v : *vs) {
      const json* st = Member(v, "storage");
      if (st != nullptr && st->is_boolean() && st->get<bool>()) storage = StringAt(v, {"name"});
    }
  }
  return {{"acceptedNames", names},
          {"storedVersions", json::array({storage})},
          {"conditions", json::array({{{"type", "NamesAccepted"},
                                       {"status", "True"},
                                       {"lastTransitionTime", now},
                                       {"reason", "NoConflicts"},
                                       {"message", "no conflicts found"}},
                                      {{"type", "Established"},
                                       {"status", "True"},
                                       {"lastTransitionTime", now},
                                       {"reason", "InitialNamesAccepted"},
                                       {"message", "the initial names have been accepted"}}})}};
}

std::shared_ptr<const Registry> Registry::Build(const std::vector<json>& crds) {
  std::shared_ptr<Registry> reg(new Registry());
  reg->schemas_ = BuiltinSchemas();
  std::vector<std::string> group_order;
  std::map<std::string, std::set<std::string>> versions_by_group;
  auto note_group = [&](const std::string& group, const std::string& version) {
    if (versions_by_group.find(group) == versions_by_group.end()) group_order.push_back(group);
    versions_by_group[group].insert(version);
  };
  for (const BuiltinResource& b : BuiltinResources()) {
    ResourceInfo r;
    r.group = b.group;
    r.version = b.version;
    r.resource = b.plural;
    r.singular = b.singular;
    r.kind = b.kind;
    r.list_kind = b.kind + "List";
    r.namespaced = b.namespaced;
    r.short_names = b.short_names;
    r.categories = b.categories;
    r.verbs = b.create_only ? std::vector<std::string>{"create"} : StandardVerbs();
    r.status_subresource = b.status_subresource;
    r.builtin = true;
    r.create_only = b.create_only;
    r.has_generation = b.has_generation;
    r.storage_version = b.version;
    r.schema_name = b.schema;
    r.field_selectors = b.field_selectors;
    note_group(r.group, r.version);
    reg->resources_.push_back(std::move(r));
  }
  std::vector<std::string> crd_groups;
  for (const json& crd : crds) {
    if (!ValidateCrd(crd).empty()) continue;
    std::string group = StringAt(crd, {"spec", "group"});
    const json& names = *Path(crd, {"spec", "names"});
    std::string kind = StringAt(names, {"kind"});
    std::string list_kind = StringAt(names, {"listKind"});
    std::string singular = StringAt(names, {"singular"});
    bool namespaced = StringAt(crd, {"spec", "scope"}) == "Namespaced";
    std::string storage;
    for (const auto& v : *Path(crd, {"spec", "versions"})) {
      const json* st = Member(v, "storage");
      if (st != nullptr && st->is_boolean() && st->get<bool>()) storage = StringAt(v, {"name"});
    }
    for (const auto& v : *Path(crd, {"spec", "versions"})) {
      const json* served = Member(v, "served");
      if (served == nullptr || !served->is_boolean() || !served->get<bool>()) continue;
      ResourceInfo r;
      r.group = group;
      r.version = StringAt(v, {"name"});
      r.resource = StringAt(names, {"plural"});
      r.singular = singular.empty() ? Lower(kind) : singular;
      r.kind = kind;
      r.list_kind = list_kind.empty() ? kind + "List" : list_kind;
      r.namespaced = namespaced;
      r.short_names = StringList(Member(names, "shortNames"));
      r.categories = StringList(Member(names, "categories"));
      r.verbs = StandardVerbs();
      r.status_subresource = Path(v, {"subresources", "status"}) != nullptr;
      r.builtin = false;
      r.has_generation = true;
      r.storage_version = storage;
      r.schema_name = absl::StrCat(ReverseDomain(group), ".", r.version, ".", kind);
      r.field_selectors = SelectableFields(v);
      if (const json* cols = Member(v, "additionalPrinterColumns"); cols != nullptr) {
        r.printer_columns = *cols;
      }
      reg->schemas_.Add(r.schema_name, CrdRootSchema(v, group, kind));
      if (versions_by_group.find(group) == versions_by_group.end()) crd_groups.push_back(group);
      versions_by_group[group].insert(r.version);
      reg->resources_.push_back(std::move(r));
    }
  }
  std::sort(crd_groups.begin(), crd_groups.end());
  crd_groups.erase(std::unique(crd_groups.begin(), crd_groups.end()), crd_groups.end());
  group_order.insert(group_order.end(), crd_groups.begin(), crd_groups.end());
  for (const auto& g : group_order) {
    Group group{g, {}};
    for (const auto& v : versions_by_group[g]) group.versions.push_back(v);
    std::sort(
        group.versions.begin(), group.versions.end(),
        [](const std::string& a, const std::string& b) { return CompareKubeVersions(a, b) < 0; });
    reg->groups_.push_back(std::move(group));
  }
  return reg;
}

const ResourceInfo* Registry::Find(const std::string& group, const std::string& version,
                                   const std::string& resource) const {
  for (const auto& r : resources_) {
    if (r.group == group && r.version == version && r.resource == resource) return &r;
  }
  return nullptr;
}

const ResourceInfo* Registry::FindKind(const std::string& group, const std::string& version,
                                       const std::string& kind) const {
  for (const auto& r : resources_) {
    if (r.group == group && r.version == version && r.kind == kind) return &r;
  }
  return nullptr;
}

std::vector<const ResourceInfo*> Registry::ForStorageKey(const std::string& storage_key) const {
  std::vector<const ResourceInfo*> out;
  for (const auto& r : resources_) {
    if (r.StorageKey() == storage_key) out.push_back(&r);
  }
  return out;
}

std::vector<const ResourceInfo*> Registry::ForGroupVersion(const std::string& group,
                                                           const std::string& version) const {
  std::vector<const ResourceInfo*> out;
  for (const auto& r : resources_) {
    if (r.group == group && r.version == version) out.push_back(&r);
  }
  return out;
}

}  // namespace hallmark::tests::apiserver
