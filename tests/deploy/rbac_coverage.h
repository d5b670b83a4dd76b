// File: tests/deploy/rbac_coverage.h
//
// CheckCoverage: do a component's RBAC rules cover every API request it made (from
// hallmark-apiserver's request log), and is every rule needed?
#ifndef HALLMARK_TESTS_DEPLOY_RBAC_COVERAGE_H_
#define HALLMARK_TESTS_DEPLOY_RBAC_COVERAGE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/deploy/rbac_policy.h"
#include "tests/deploy/request_attributes.h"

namespace hallmark::tests::deploy {

struct CoverageReport {
  size_t checked = 0;  // resource requests of the component that were checked
  std::vector<std::string>
      uncovered;                    // "METHOD target -> verb group/resource ns/name", in log order
  std::vector<std::string> unused;  // RbacPolicy::UnusedGrants over the checked requests
};

// CheckCoverage keeps the requests whose user agent starts with `user_agent_prefix` (the
// component's; other clients in the same log, such as kubectl setting up a test, are skipped),
// and checks each resource request against the rules bound to `subject`. Non-resource requests
// (discovery, /version) need no rule. kInvalidArgument if a kept request cannot be mapped to RBAC
// attributes (AttributesFromHttp's message).
absl::StatusOr<CoverageReport> CheckCoverage(const RbacPolicy& policy, const Subject& subject,
                                             const std::vector<LoggedRequest>& log,
                                             absl::string_view user_agent_prefix);

// MismatchesWithServer: for every logged request that carries the server's own view of it
// (hallmark-apiserver records verb, resource, namespace, name), compares it with
// AttributesFromHttp's; returns "METHOD target: ours != server's" lines (empty: all agree) and sets
// `*compared`. Two refinements of kube-apiserver's RequestInfo that hallmark-apiserver's log does
// not record are not compared: a request on a Namespace object is in that namespace, and a
// list/watch with fieldSelector=metadata.name=X names X.
std::vector<std::string> MismatchesWithServer(const std::vector<LoggedRequest>& log,
                                              size_t* compared);

}  // namespace hallmark::tests::deploy

#endif  // HALLMARK_TESTS_DEPLOY_RBAC_COVERAGE_H_
