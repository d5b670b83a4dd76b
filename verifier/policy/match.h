// File: verifier/policy/match.h
//
// Does a rule apply to an admission request? Kyverno's match/exclude semantics: `match.any`
// needs one filter to match, `match.all` every filter; `exclude.any` excludes when one filter
// matches, `exclude.all` when every filter does. In a filter, every field that is set must hold:
// kinds (`Kind`, `version/Kind`, `group/version/Kind`, `*` anywhere), names and namespaces
// (wildcards), operations, annotations (wildcard values), the label selector (on the object),
// and subjects (User, Group, ServiceAccount against the request's user).
#ifndef HALLMARK_VERIFIER_POLICY_MATCH_H_
#define HALLMARK_VERIFIER_POLICY_MATCH_H_

#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "verifier/policy/policy.h"

namespace hallmark::verifier::policy {

struct RequestUser {
  std::string username;
  std::vector<std::string> groups;
};

// What matching looks at.
struct RequestInfo {
  std::string operation;  // CREATE, UPDATE, DELETE, CONNECT
  std::string group;      // "" for core
  std::string version;    // "v1"
  std::string kind;       // "Pod"
  std::string ns;
  std::string name;
  const nlohmann::json* object = nullptr;  // labels and annotations come from here
  RequestUser user;
};

bool FilterMatches(const ResourceFilter& filter, const RequestInfo& request);
// RuleApplies: match and not exclude.
bool RuleApplies(const Rule& rule, const RequestInfo& request);

}  // namespace hallmark::verifier::policy

#endif  // HALLMARK_VERIFIER_POLICY_MATCH_H_
