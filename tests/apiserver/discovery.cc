#include "tests/apiserver/discovery.h"

#include <cstdint>
#include <set>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tests/apiserver/json_util.h"

namespace hallmark::tests::apiserver {
namespace {

constexpr char kSchemaRefPrefix[] = "#/components/schemas/";
constexpr char kPatchSchema[] = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";

std::string GroupVersionString(const std::string& group, const std::string& version) {
  return group.empty() ? version : absl::StrCat(group, "/", version);
}

std::string PathPrefix(const std::string& group, const std::string& version) {
  return group.empty() ? absl::StrCat("/api/", version)
                       : absl::StrCat("/apis/", group, "/", version);
}

std::string Fnv1a(const std::string& data) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return absl::StrFormat("%016X", h);
}

json Param(const char* name, const char* in, const char* description, bool required = false) {
  json p = {{"name", name},
            {"in", in},
            {"description", description},
            {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
  if (required) p["required"] = true;
  return p;
}

json WriteParams(bool patch) {
  json params = json::array(
      {Param("dryRun", "query",
             "When present, indicates that modifications should not be persisted."),
       Param("fieldManager", "query",
             "fieldManager is a name associated with the actor or entity that is making these "
             "changes."),
       Param("fieldValidation", "query",
             "fieldValidation instructs the server on how to handle objects in the request "
             "containing unknown or duplicate fields. Valid values are: Ignore, Warn (default), "
             "Strict.")});
  if (patch) {
    params.push_back(Param("force", "query",
                           "Force is going to \"force\" Apply requests. It means user will "
                           "re-acquire conflicting fields owned by other people."));
  }
  return params;
}

json ListParams() {
  json params = json::array();
  for (const char* p : {"allowWatchBookmarks", "continue", "fieldSelector", "labelSelector",
                        "limit", "resourceVersion", "resourceVersionMatch", "sendInitialEvents",
                        "timeoutSeconds", "watch"}) {
    params.push_back(Param(p, "query", p));
  }
  return params;
}

json Response(const std::string& schema_ref) {
  return {{"200",
           {{"description", "OK"},
            {"content", {{"application/json", {{"schema", {{"$ref", schema_ref}}}}}}}}},
          {"401", {{"description", "Unauthorized"}}}};
}

json Op(const std::string& action, const std::string& operation_id, const ResourceInfo& r,
        const std::string& kind, const std::string& schema_ref, json params) {
  return {{"operationId", operation_id},
          {"description", absl::StrCat(action, " ", kind)},
          {"tags", json::array({GroupVersionString(r.group, r.version)})},
          {"parameters", std::move(params)},
          {"responses", Response(schema_ref)},
          {"x-kubernetes-action", action},
          {"x-kubernetes-group-version-kind",
           {{"group", r.group}, {"version", r.version}, {"kind", kind}}}};
}

void CollectRefs(const SchemaSet& set, const json& schema, std::set<std::string>* seen) {
  if (schema.is_object()) {
    for (auto it = schema.begin(); it != schema.end(); ++it) {
      if (it.key() == "$ref" && it.value().is_string()) {
        std::string ref = it.value().get<std::string>();
        if (absl::StartsWith(ref, kSchemaRefPrefix)) {
          std::string name = ref.substr(sizeof(kSchemaRefPrefix) - 1);
          if (seen->insert(name).second) {
            const json* target = set.Get(name);
            if (target != nullptr) CollectRefs(set, *target, seen);
          }
        }
      } else {
        CollectRefs(set, it.value(), seen);
      }
    }
  } else if (schema.is_array()) {
    for (const auto& v : schema) CollectRefs(set, v, seen);
  }
}

}  // namespace

json VersionInfo() {
  return {{"major", "1"},
          {"minor", "32"},
          {"gitVersion", kServerGitVersion},
          {"gitCommit", "hallmark-apiserver"},
          {"gitTreeState", "clean"},
          {"buildDate", "2024-12-11T00:00:00Z"},
          {"goVersion", "go1.23.3"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

json ApiVersions(const std::string& server_address) {
  return {{"kind", "APIVersions"},
          {"versions", json::array({"v1"})},
          {"serverAddressByClientCIDRs",
           json::array({{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}})}};
}

namespace {

json GroupJson(const Registry::Group& g) {
  json versions = json::array();
  for (const auto& v : g.versions) {
    versions.push_back({{"groupVersion", GroupVersionString(g.name, v)}, {"version", v}});
  }
  return {{"name", g.name},
          {"versions", versions},
          {"preferredVersion",
           {{"groupVersion", GroupVersionString(g.name, g.versions.front())},
            {"version", g.versions.front()}}}};
}

}  // namespace

json ApiGroupList(const Registry& registry) {
  json groups = json::array();
  for (const auto& g : registry.groups()) {
    if (g.name.empty() || g.versions.empty()) continue;
    groups.push_back(GroupJson(g));
  }
  return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
}

json ApiGroup(const Registry& registry, const std::string& group) {
  for (const auto& g : registry.groups()) {
    if (g.name == group && !g.name.empty() && !g.versions.empty()) {
      json out = GroupJson(g);
      out["kind"] = "APIGroup";
      out["apiVersion"] = "v1";
      return out;
    }
  }
  return json();
}

json ApiResourceList(const Registry& registry, const std::string& group,
                     const std::string& version) {
  std::vector<const ResourceInfo*> resources = registry.ForGroupVersion(group, version);
  if (resources.empty()) return json();
  json list = json::array();
  for (const ResourceInfo* r : resources) {
    json entry = {{"name", r->resource},
                  {"singularName", r->singular},
                  {"namespaced", r->namespaced},
                  {"kind", r->kind},
                  {"verbs", r->verbs},
                  {"storageVersionHash", Fnv1a(r->StorageKey()).substr(0, 11)}};
    if (!r->short_names.empty()) entry["shortNames"] = r->short_names;
    if (!r->categories.empty()) entry["categories"] = r->categories;
    list.push_back(std::move(entry));
    if (r->status_subresource) {
      list.push_back({{"name", r->resource + "/status"},
                      {"singularName", ""},
                      {"namespaced", r->namespaced},
                      {"kind", r->kind},
                      {"verbs", json::array({"get", "patch", "update"})}});
    }
  }
  return {{"kind", "APIResourceList"},
          {"apiVersion", "v1"},
          {"groupVersion", GroupVersionString(group, version)},
          {"resources", list}};
}

json OpenApiV3Root(const Registry& registry) {
  json paths = json::object();
  for (const auto& g : registry.groups()) {
    for (const auto& v : g.versions) {
      std::string path =
          g.name.empty() ? absl::StrCat("api/", v) : absl::StrCat("apis/", g.name, "/", v);
      absl::StatusOr<json> doc = OpenApiV3Document(registry, path);
      if (!doc.ok()) continue;
      paths[path] = {
          {"serverRelativeURL", absl::StrCat("/openapi/v3/", path, "?hash=", Fnv1a(Dump(*doc)))}};
    }
  }
  return {{"paths", paths}};
}

absl::StatusOr<json> OpenApiV3Document(const Registry& registry,
                                       const std::string& group_version_path) {
  std::string group, version;
  if (absl::StartsWith(group_version_path, "api/")) {
    version = group_version_path.substr(4);
  } else if (absl::StartsWith(group_version_path, "apis/")) {
    std::string rest = group_version_path.substr(5);
    size_t slash = rest.find('/');
    if (slash == std::string::npos) return absl::NotFoundError(group_version_path);
    group = rest.substr(0, slash);
    version = rest.substr(slash + 1);
  } else {
    return absl::NotFoundError(group_version_path);
  }
  std::vector<const ResourceInfo*> resources = registry.ForGroupVersion(group, version);
  if (resources.empty()) return absl::NotFoundError(group_version_path);
  const SchemaSet& set = registry.schemas();
  json paths = json::object();
  json schemas = json::object();
  std::set<std::string> refs;
  std::string prefix = PathPrefix(group, version);
  for (const ResourceInfo* r : resources) {
    const json* root = set.Get(r->schema_name);
    if (root == nullptr) continue;
    schemas[r->schema_name] = *root;
    CollectRefs(set, *root, &refs);
    std::string kind_ref = absl::StrCat(kSchemaRefPrefix, r->schema_name);
    std::string list_name = r->schema_name.substr(0, r->schema_name.rfind('.') + 1) + r->list_kind;
    std::string list_ref = absl::StrCat(kSchemaRefPrefix, list_name);
    schemas[list_name] = {
        {"type", "object"},
        {"properties",
         {{"apiVersion", {{"type", "string"}}},
          {"kind", {{"type", "string"}}},
          {"items", {{"type", "array"}, {"items", {{"$ref", kind_ref}}}}},
          {"metadata", {{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}}}}},
        {"x-kubernetes-group-version-kind",
         json::array({{{"group", r->group}, {"version", r->version}, {"kind", r->list_kind}}})}};
    std::string ns_part = r->namespaced ? "/namespaces/{namespace}" : "";
    std::string scope = r->namespaced ? "Namespaced" : "";
    std::string kind = r->kind;
    json path_params = json::array();
    if (r->namespaced)
      path_params.push_back(Param("namespace", "path", "object name and auth scope", true));
    json collection = {{"parameters", path_params}};
    json item_params = path_params;
    item_params.push_back(Param("name", "path", absl::StrCat("name of the ", kind).c_str(), true));
    json item = {{"parameters", item_params}};
    json patch_body = {
        {"required", true},
        {"content",
         {{"application/json-patch+json",
           {{"schema", {{"$ref", absl::StrCat(kSchemaRefPrefix, kPatchSchema)}}}}},
          {"application/merge-patch+json",
           {{"schema", {{"$ref", absl::StrCat(kSchemaRefPrefix, kPatchSchema)}}}}},
          {"application/apply-patch+yaml",
           {{"schema", {{"$ref", absl::StrCat(kSchemaRefPrefix, kPatchSchema)}}}}}}}};
    json write_body = {{"required", true},
                       {"content", {{"*/*", {{"schema", {{"$ref", kind_ref}}}}}}}};
    if (r->create_only) {
      collection["post"] = Op("post", "create" + kind, *r, kind, kind_ref, WriteParams(false));
      collection["post"]["requestBody"] = write_body;
      paths[absl::StrCat(prefix, "/", r->resource)] = collection;
      continue;
    }
    collection["get"] = Op("list", "list" + scope + kind, *r, kind, list_ref, ListParams());
    collection["post"] =
        Op("post", "create" + scope + kind, *r, kind, kind_ref, WriteParams(false));
    collection["post"]["requestBody"] = write_body;
    collection["delete"] =
        Op("deletecollection", "deleteCollection" + scope + kind, *r, kind, kind_ref, ListParams());
    paths[absl::StrCat(prefix, ns_part, "/", r->resource)] = collection;
    item["get"] = Op("get", "read" + scope + kind, *r, kind, kind_ref, json::array());
    item["put"] = Op("put", "replace" + scope + kind, *r, kind, kind_ref, WriteParams(false));
    item["put"]["requestBody"] = write_body;
    item["patch"] = Op("patch", "patch" + scope + kind, *r, kind, kind_ref, WriteParams(true));
    item["patch"]["requestBody"] = patch_body;
    item["delete"] = Op("delete", "delete" + scope + kind, *r, kind, kind_ref, json::array());
    paths[absl::StrCat(prefix, ns_part, "/", r->resource, "/{name}")] = item;
    if (r->namespaced) {
      json all = {{"parameters", json::array()},
                  {"get", Op("list", "list" + kind + "ForAllNamespaces", *r, kind, list_ref,
                             ListParams())}};
      paths[absl::StrCat(prefix, "/", r->resource)] = all;
    }
    if (r->status_subresource) {
      json status = {{"parameters", item_params}};
      status["get"] =
          Op("get", "read" + scope + kind + "Status", *r, kind, kind_ref, json::array());
      status["put"] =
          Op("put", "replace" + scope + kind + "Status", *r, kind, kind_ref, WriteParams(false));
      status["put"]["requestBody"] = write_body;
      status["patch"] =
          Op("patch", "patch" + scope + kind + "Status", *r, kind, kind_ref, WriteParams(true));
      status["patch"]["requestBody"] = patch_body;
      paths[absl::StrCat(prefix, ns_part, "/", r->resource, "/{name}/status")] = status;
    }
  }
  for (const auto& name : refs) {
    const json* s = set.Get(name);
    if (s != nullptr) schemas[name] = *s;
  }
  schemas[kPatchSchema] = {
      {"type", "object"},
      {"description",
       "Patch is provided to give a concrete name and type to the Kubernetes PATCH request "
       "body."}};
  return json{{"openapi", "3.0.0"},
              {"info", {{"title", "Kubernetes"}, {"version", kServerGitVersion}}},
              {"paths", paths},
              {"components", {{"schemas", schemas}}}};
}

}  // namespace hallmark::tests::apiserver
