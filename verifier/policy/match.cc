#include "verifier/policy/match.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "verifier/policy/wildcard.h"

namespace hallmark::verifier::policy {
namespace {

using nlohmann::json;

std::map<std::string, std::string> StringMapAt(const json* object, const char* field) {
  std::map<std::string, std::string> out;
  if (object == nullptr || !object->is_object()) return out;
  auto meta = object->find("metadata");
  if (meta == object->end() || !meta->is_object()) return out;
  auto m = meta->find(field);
  if (m == meta->end() || !m->is_object()) return out;
  for (auto it = m->begin(); it != m->end(); ++it) {
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

bool KindMatches(const std::string& selector, const RequestInfo& r) {
  std::vector<std::string> parts = absl::StrSplit(selector, '/');
  std::string group = "*", version = "*", kind;
  if (parts.size() == 1) {
    kind = parts[0];
  } else if (parts.size() == 2) {
    version = parts[0];
    kind = parts[1];
  } else if (parts.size() == 3) {
    group = parts[0];
    version = parts[1];
    kind = parts[2];
  } else {
    return false;
  }
  return WildcardMatch(group, r.group) && WildcardMatch(version, r.version) &&
         WildcardMatch(kind, r.kind);
}

bool AnyWildcard(const std::vector<std::string>& patterns, const std::string& value) {
  for (const std::string& p : patterns) {
    if (WildcardMatch(p, value)) return true;
  }
  return false;
}

bool SubjectMatches(const Subject& s, const RequestUser& u) {
  if (s.kind == "User") return s.name == u.username;
  if (s.kind == "Group")
    return std::find(u.groups.begin(), u.groups.end(), s.name) != u.groups.end();
  if (s.kind == "ServiceAccount") {
    return u.username == absl::StrCat("system:serviceaccount:", s.ns, ":", s.name);
  }
  return false;
}

bool BlockMatches(const MatchBlock& block, const RequestInfo& r) {
  if (block.empty()) return false;
  if (!block.any.empty() &&
      std::none_of(block.any.begin(), block.any.end(),
                   [&](const ResourceFilter& f) { return FilterMatches(f, r); })) {
    return false;
  }
  return std::all_of(block.all.begin(), block.all.end(),
                     [&](const ResourceFilter& f) { return FilterMatches(f, r); });
}

}  // namespace

bool FilterMatches(const ResourceFilter& f, const RequestInfo& r) {
  if (!f.kinds.empty()) {
    bool ok = false;
    for (const std::string& k : f.kinds) ok = ok || KindMatches(k, r);
    if (!ok) return false;
  }
  if (!f.names.empty() && !AnyWildcard(f.names, r.name)) return false;
  if (!f.namespaces.empty() && !AnyWildcard(f.namespaces, r.ns)) return false;
  if (!f.operations.empty() &&
      std::find(f.operations.begin(), f.operations.end(), r.operation) == f.operations.end()) {
    return false;
  }
  if (!f.annotations.empty()) {
    std::map<std::string, std::string> annotations = StringMapAt(r.object, "annotations");
    for (const auto& [k, v] : f.annotations) {
      auto it = annotations.find(k);
      if (it == annotations.end() || !WildcardMatch(v, it->second)) return false;
    }
  }
  if (f.selector.has_value() && !f.selector->Matches(StringMapAt(r.object, "labels"))) {
    return false;
  }
  if (!f.subjects.empty()) {
    bool ok = false;
    for (const Subject& s : f.subjects) ok = ok || SubjectMatches(s, r.user);
    if (!ok) return false;
  }
  return true;
}

bool RuleApplies(const Rule& rule, const RequestInfo& request) {
  return BlockMatches(rule.match, request) && !BlockMatches(rule.exclude, request);
}

}  // namespace hallmark::verifier::policy
