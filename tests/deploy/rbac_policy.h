// File: tests/deploy/rbac_policy.h
//
// RbacPolicy: the RBAC objects of a set of manifests (Role, ClusterRole, RoleBinding,
// ClusterRoleBinding) and the question kube-apiserver's RBAC authorizer answers: may this
// ServiceAccount make this request? Used to prove deploy/'s rules cover what the agent and the
// webhook do, without granting more.
//
//   HM_ASSIGN_OR_RETURN(RbacPolicy policy, RbacPolicy::Parse(ReadFile("deploy/agent/rbac.yaml")));
//   Subject agent{"tekton-chains", "tekton-chains-controller"};
//   policy.Allows(agent, attributes);  // true if some bound rule matches
#ifndef HALLMARK_TESTS_DEPLOY_RBAC_POLICY_H_
#define HALLMARK_TESTS_DEPLOY_RBAC_POLICY_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/deploy/request_attributes.h"

namespace hallmark::tests::deploy {

// One entry of a Role's or ClusterRole's `rules`.
struct PolicyRule {
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;  // "taskruns", "taskruns/status", "*", "*/status"
  std::vector<std::string> verbs;
  std::vector<std::string> resource_names;
  std::vector<std::string> non_resource_urls;

  // Matches: kube-apiserver's RuleAllows (wildcards "*" and "*/sub"; resourceNames
  // never allow create or a request without a name, non-resource URLs with a trailing "*").
  bool Matches(const RequestAttributes& request) const;
};

// A ServiceAccount, the only kind of subject these checks need.
struct Subject {
  std::string namespace_;
  std::string name;
};

class RbacPolicy {
 public:
  // Parse reads every document of `yaml` (several files may be concatenated with "---") and
  // keeps the RBAC kinds (rbac.authorization.k8s.io/v1); other kinds are ignored. Errors:
  // kInvalidArgument for YAML that does not parse or an RBAC object without the fields RBAC
  // requires (metadata.name, roleRef, a namespace on Roles and RoleBindings).
  static absl::StatusOr<RbacPolicy> Parse(absl::string_view yaml);

  // Allows: whether `subject` may make `request`: a ClusterRoleBinding to a ClusterRole with a
  // matching rule, or a RoleBinding in the request's namespace to a Role or ClusterRole with
  // one. A binding whose role does not exist grants nothing (as in Kubernetes).
  bool Allows(const Subject& subject, const RequestAttributes& request) const;

  // Rules `subject` holds, with where they apply: "" for cluster-wide, else the namespace.
  std::multimap<std::string, PolicyRule> RulesFor(const Subject& subject) const;

  // UnusedGrants: each (scope, verb, group, resource[, names]) that `subject` holds and that no
  // request in `requests` used, as "verb group/resource in scope" text, sorted. Empty means
  // every grant was needed. Wildcards are kept as written ("*").
  std::vector<std::string> UnusedGrants(const Subject& subject,
                                        const std::vector<RequestAttributes>& requests) const;

 private:
  struct Binding {
    std::string namespace_;  // "" for a ClusterRoleBinding
    std::string role_kind;   // "Role" or "ClusterRole"
    std::string role_name;
    std::vector<Subject> subjects;
  };
  std::map<std::string, std::vector<PolicyRule>> cluster_roles_;                  // name -> rules
  std::map<std::pair<std::string, std::string>, std::vector<PolicyRule>> roles_;  // (ns, name)
  std::vector<Binding> bindings_;
};

}  // namespace hallmark::tests::deploy

#endif  // HALLMARK_TESTS_DEPLOY_RBAC_POLICY_H_
