// File: verifier/policy/apply.h
//
// `hallmark policy apply`: evaluate policies against resource files offline, like
// `kyverno apply` for verifyImages — each resource as if it were created (the mutating
// evaluation, then the validating one on the mutated object), a pass/fail line per policy rule
// that did not pass, the summary counts, and the mutated resources.
//
//   ApplyReport report = ApplyPolicies(engine, policies, resources);
//   std::cout << FormatApplyReport(report);
//   return report.enforce_failure ? 1 : 0;
#ifndef HALLMARK_VERIFIER_POLICY_APPLY_H_
#define HALLMARK_VERIFIER_POLICY_APPLY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "verifier/policy/engine.h"
#include "verifier/policy/policy.h"

namespace hallmark::verifier::policy {

struct ResourceOutcome {
  std::string kind;
  std::string ns;  // "default" when the file names none
  std::string name;
  nlohmann::json patched;  // the resource after the mutating evaluation
  std::vector<RuleResult> results;
  bool blocked = false;
  std::string message;  // the admission denial text when blocked
};

struct ApplyReport {
  size_t rules = 0;  // rules of the policies (autogen included)
  std::vector<ResourceOutcome> resources;
  int pass = 0, fail = 0, warn = 0, error = 0, skip = 0;
  // Some Enforce rule failed (or errored): the CLI exits 1.
  bool enforce_failure = false;
};

// LoadPolicyFiles: the policies of each path (a file, or the *.yaml/*.yml/*.json files of a
// folder). Errors name the file.
absl::StatusOr<std::vector<Policy>> LoadPolicyFiles(const std::vector<std::string>& paths,
                                                    const LoadOptions& options);

// LoadResourceFiles: every object of each YAML/JSON file (`List` kinds unpacked).
absl::StatusOr<std::vector<nlohmann::json>> LoadResourceFiles(
    const std::vector<std::string>& paths);

// ApplyPolicies: `resources` are Kubernetes objects (apiVersion, kind, metadata.name); objects
// without a kind or name are reported as errors.
ApplyReport ApplyPolicies(const Engine& engine, const std::vector<Policy>& policies,
                          const std::vector<nlohmann::json>& resources);

// FormatApplyReport: kyverno apply's text:
//   Applying N policy rule(s) to M resource(s)...
//   <blank>
//   policy P -> resource NS/Kind/NAME failed:
//   1. RULE: MESSAGE
//   <blank>
//   pass: a, fail: b, warn: c, error: d, skip: e
std::string FormatApplyReport(const ApplyReport& report);

}  // namespace hallmark::verifier::policy

#endif  // HALLMARK_VERIFIER_POLICY_APPLY_H_
