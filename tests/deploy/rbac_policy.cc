#include "tests/deploy/rbac_policy.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "yaml-cpp/yaml.h"

namespace hallmark::tests::deploy {
namespace {

bool Contains(const std::vector<std::string>& list, absl::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool ContainsOrStar(const std::vector<std::string>& list, absl::string_view value) {
  return Contains(list, "*") || Contains(list, value);
}

// A scalar field, or "" when absent or not a scalar.
std::string Scalar(const YAML::Node& node, const char* key) {
  YAML::Node v = node[key];
  return v && v.IsScalar() ? v.as<std::string>() : std::string();
}

// A list of scalars, or an error naming the field when it is not one.
absl::StatusOr<std::vector<std::string>> ScalarList(const YAML::Node& node, const char* key,
                                                    absl::string_view where) {
  std::vector<std::string> out;
  YAML::Node v = node[key];
  if (!v || v.IsNull()) return out;
  if (!v.IsSequence()) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", key, " must be a list"));
  }
  for (const YAML::Node& item : v) {
    if (!item.IsScalar()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", key, " must hold strings"));
    }
    out.push_back(item.as<std::string>());
  }
  return out;
}

absl::StatusOr<std::vector<PolicyRule>> ParseRules(const YAML::Node& doc, absl::string_view where) {
  std::vector<PolicyRule> rules;
  YAML::Node list = doc["rules"];
  if (!list || list.IsNull()) return rules;
  if (!list.IsSequence())
    return absl::InvalidArgumentError(absl::StrCat(where, ": rules must be a list"));
  for (const YAML::Node& r : list) {
    if (!r.IsMap())
      return absl::InvalidArgumentError(absl::StrCat(where, ": a rule must be a map"));
    PolicyRule rule;
    for (auto [field, key] : {std::pair{&rule.api_groups, "apiGroups"},
                              {&rule.resources, "resources"},
                              {&rule.verbs, "verbs"},
                              {&rule.resource_names, "resourceNames"},
                              {&rule.non_resource_urls, "nonResourceURLs"}}) {
      absl::StatusOr<std::vector<std::string>> values = ScalarList(r, key, where);
      if (!values.ok()) return values.status();
      *field = *std::move(values);
    }
    if (rule.verbs.empty())
      return absl::InvalidArgumentError(absl::StrCat(where, ": a rule needs verbs"));
    rules.push_back(std::move(rule));
  }
  return rules;
}

}  // namespace

bool PolicyRule::Matches(const RequestAttributes& request) const {
  if (!ContainsOrStar(verbs, request.verb)) return false;
  if (!request.resource_request) {
    for (const std::string& url : non_resource_urls) {
      if (url == "*" || url == request.path) return true;
      if (absl::EndsWith(url, "*") &&
          absl::StartsWith(request.path, url.substr(0, url.size() - 1))) {
        return true;
      }
    }
    return false;
  }
  if (!ContainsOrStar(api_groups, request.api_group)) return false;
  std::string combined = request.subresource.empty()
                             ? request.resource
                             : absl::StrCat(request.resource, "/", request.subresource);
  bool resource_ok = false;
  for (const std::string& r : resources) {
    if (r == "*" || r == combined ||
        (!request.subresource.empty() && r == absl::StrCat("*/", request.subresource))) {
      resource_ok = true;
      break;
    }
  }
  if (!resource_ok) return false;
  return resource_names.empty() || Contains(resource_names, request.name);
}

absl::StatusOr<RbacPolicy> RbacPolicy::Parse(absl::string_view yaml) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("manifests do not parse as YAML: ", e.what()));
  }
  RbacPolicy policy;
  for (const YAML::Node& doc : docs) {
    if (!doc.IsMap()) continue;
    if (!absl::StartsWith(Scalar(doc, "apiVersion"), "rbac.authorization.k8s.io/")) continue;
    std::string kind = Scalar(doc, "kind");
    YAML::Node meta = doc["metadata"];
    std::string name = meta && meta.IsMap() ? Scalar(meta, "name") : "";
    std::string ns = meta && meta.IsMap() ? Scalar(meta, "namespace") : "";
    std::string where = absl::StrCat(kind, " ", ns.empty() ? "" : ns + "/", name);
    if (name.empty())
      return absl::InvalidArgumentError(absl::StrCat(kind, " without metadata.name"));
    bool namespaced = kind == "Role" || kind == "RoleBinding";
    if (namespaced && ns.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": needs metadata.namespace"));
    }
    if (kind == "Role" || kind == "ClusterRole") {
      absl::StatusOr<std::vector<PolicyRule>> rules = ParseRules(doc, where);
      if (!rules.ok()) return rules.status();
      if (kind == "Role") {
        policy.roles_[{ns, name}] = *std::move(rules);
      } else {
        policy.cluster_roles_[name] = *std::move(rules);
      }
    } else if (kind == "RoleBinding" || kind == "ClusterRoleBinding") {
      YAML::Node ref = doc["roleRef"];
      if (!ref || !ref.IsMap())
        return absl::InvalidArgumentError(absl::StrCat(where, ": needs roleRef"));
      Binding b;
      b.namespace_ = kind == "RoleBinding" ? ns : "";
      b.role_kind = Scalar(ref, "kind");
      b.role_name = Scalar(ref, "name");
      if ((b.role_kind != "Role" && b.role_kind != "ClusterRole") || b.role_name.empty() ||
          (kind == "ClusterRoleBinding" && b.role_kind != "ClusterRole")) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": roleRef must name a ",
                         kind == "RoleBinding" ? "Role or ClusterRole" : "ClusterRole"));
      }
      YAML::Node subjects = doc["subjects"];
      if (subjects && subjects.IsSequence()) {
        for (const YAML::Node& s : subjects) {
          if (!s.IsMap() || Scalar(s, "kind") != "ServiceAccount") continue;
          std::string sns = Scalar(s, "namespace");
          if (sns.empty()) sns = ns;  // a RoleBinding's ServiceAccount defaults to its namespace
          b.subjects.push_back({sns, Scalar(s, "name")});
        }
      }
      policy.bindings_.push_back(std::move(b));
    }
  }
  return policy;
}

std::multimap<std::string, PolicyRule> RbacPolicy::RulesFor(const Subject& subject) const {
  std::multimap<std::string, PolicyRule> out;
  for (const Binding& b : bindings_) {
    bool bound = std::any_of(b.subjects.begin(), b.subjects.end(), [&](const Subject& s) {
      return s.namespace_ == subject.namespace_ && s.name == subject.name;
    });
    if (!bound) continue;
    const std::vector<PolicyRule>* rules = nullptr;
    if (b.role_kind == "ClusterRole") {
      auto it = cluster_roles_.find(b.role_name);
      if (it != cluster_roles_.end()) rules = &it->second;
    } else {
      auto it = roles_.find({b.namespace_, b.role_name});
      if (it != roles_.end()) rules = &it->second;
    }
    if (rules == nullptr) continue;
    for (const PolicyRule& r : *rules) out.emplace(b.namespace_, r);
  }
  return out;
}

std::vector<std::string> RbacPolicy::UnusedGrants(
    const Subject& subject, const std::vector<RequestAttributes>& requests) const {
  std::set<std::string> unused;
  for (const auto& [scope, rule] : RulesFor(subject)) {
    std::vector<std::string> resources = rule.resources;
    if (resources.empty()) resources = rule.non_resource_urls;
    for (const std::string& verb : rule.verbs) {
      for (const std::string& group :
           rule.api_groups.empty() ? std::vector<std::string>{""} : rule.api_groups) {
        for (const std::string& resource : resources) {
          // The grant narrowed to one verb, group and resource: used if it alone allows some
          // request (in its scope).
          PolicyRule one = rule;
          one.verbs = {verb};
          one.api_groups = {group};
          if (rule.resources.empty()) {
            one.non_resource_urls = {resource};
          } else {
            one.resources = {resource};
          }
          bool used =
              std::any_of(requests.begin(), requests.end(), [&](const RequestAttributes& r) {
                if (!scope.empty() && (!r.resource_request || r.namespace_ != scope)) return false;
                return one.Matches(r);
              });
          if (used) continue;
          std::string text = absl::StrCat(verb, " ", group.empty() ? "core" : group, "/", resource);
          if (!rule.resource_names.empty()) {
            absl::StrAppend(&text, " [", absl::StrJoin(rule.resource_names, ","), "]");
          }
          absl::StrAppend(&text, " in ", scope.empty() ? "cluster" : scope);
          unused.insert(std::move(text));
        }
      }
    }
  }
  return {unused.begin(), unused.end()};
}

bool RbacPolicy::Allows(const Subject& subject, const RequestAttributes& request) const {
  for (const auto& [scope, rule] : RulesFor(subject)) {
    // A RoleBinding's rules apply only to namespaced requests in its namespace (and never to
    // non-resource URLs).
    if (!scope.empty() && (!request.resource_request || request.namespace_ != scope)) continue;
    if (rule.Matches(request)) return true;
  }
  return false;
}

}  // namespace hallmark::tests::deploy
