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

}  // namespace hallmark::tests::deploy

#endif  // HALLMARK_TESTS_DEPLOY_RBAC_COVERAGE_H_
