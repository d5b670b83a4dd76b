#include "tests/deploy/rbac_coverage.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace hallmark::tests::deploy {

absl::StatusOr<CoverageReport> CheckCoverage(const RbacPolicy& policy, const Subject& subject,
                                             const std::vector<LoggedRequest>& log,
                                             absl::string_view user_agent_prefix) {
  CoverageReport report;
  std::vector<RequestAttributes> checked;
  for (const LoggedRequest& r : log) {
    if (!absl::StartsWith(r.user_agent, user_agent_prefix)) continue;
    absl::StatusOr<RequestAttributes> a = AttributesFromHttp(r.method, r.target);
    if (!a.ok()) return a.status();
    if (!a->resource_request) continue;
    ++report.checked;
    if (!policy.Allows(subject, *a)) {
      report.uncovered.push_back(absl::StrCat(r.method, " ", r.target, " -> ", a->DebugString()));
    }
    checked.push_back(*std::move(a));
  }
  report.unused = policy.UnusedGrants(subject, checked);
  return report;
}

std::vector<std::string> MismatchesWithServer(const std::vector<LoggedRequest>& log,
                                              size_t* compared) {
  std::vector<std::string> out;
  *compared = 0;
  for (const LoggedRequest& r : log) {
    if (!r.has_server_view) continue;
    ++*compared;
    absl::StatusOr<RequestAttributes> ours = AttributesFromHttp(r.method, r.target);
    if (!ours.ok()) {
      out.push_back(absl::StrCat(r.method, " ", r.target, ": ", ours.status().message()));
      continue;
    }
    RequestAttributes theirs = r.server_view;
    if (ours->resource == "namespaces") theirs.namespace_ = ours->namespace_;
    if (ours->verb == "list" || ours->verb == "watch") theirs.name = ours->name;
    if (ours->DebugString() != theirs.DebugString()) {
      out.push_back(absl::StrCat(r.method, " ", r.target, ": ", ours->DebugString(),
                                 " != ", theirs.DebugString()));
    }
  }
  return out;
}

}  // namespace hallmark::tests::deploy
