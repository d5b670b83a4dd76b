// File: verifier/policy/conditions.h
//
// Kyverno's `conditions` for attestations: a list of {any: [...], all: [...]} blocks, each
// condition {key, operator, value, message}, evaluated against an in-toto Statement's predicate
// (`{{ repo.uri }}` is the predicate's repo.uri). Semantics of pkg/engine/variables/evaluate.go:
// every block must pass; in a block, `any` passes if one condition is true (or there is no
// `any`), `all` if every one is; the message of a failed block is the `message`s of its false
// conditions joined by "; ".
//
// Variables: `{{ path }}` where path is a JMESPath subset — identifiers (or "quoted" names)
// joined by `.`, with `[n]` indexes — rooted at the predicate, or at `request` (the admission
// request) and `images` when the evaluation context supplies them. A key or value that is
// exactly one variable takes the variable's JSON value; a variable inside longer text is
// replaced by its string (strings as is, other values as JSON). A path that does not resolve is
// null (as JMESPath). Anything else inside `{{ }}` (functions, filters, pipes) is refused when the
// policy is LOADED.
//
// Operators (case-insensitive): Equals/Equal, NotEquals/NotEqual, AnyIn, AllIn, AnyNotIn,
// AllNotIn, In, NotIn, GreaterThan(OrEquals), LessThan(OrEquals). Equals on strings is Kyverno's
// wildcard match with `value` as the pattern; numbers compare by value (strings holding numbers
// too); objects and arrays compare deeply. Kubernetes quantities, durations and semver are not
// interpreted (such strings compare as text). Other operators are refused at load.
#ifndef HALLMARK_VERIFIER_POLICY_CONDITIONS_H_
#define HALLMARK_VERIFIER_POLICY_CONDITIONS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace hallmark::verifier::policy {

struct Condition {
  nlohmann::json key;
  std::string op;  // normalised: "equals", "notequals", "anyin", ...
  nlohmann::json value;
  std::string message;
};

struct AnyAllConditions {
  bool has_any = false;  // `any` present (an empty `any` never passes, as in Kyverno)
  std::vector<Condition> any;
  std::vector<Condition> all;
};

// ParseConditions: `conditions` (an array of {any, all} objects); `where` names the field for
// errors. kInvalidArgument for a wrong shape, an unknown operator or an unsupported variable.
absl::StatusOr<std::vector<AnyAllConditions>> ParseConditions(const nlohmann::json& conditions,
                                                              absl::string_view where);

// The data variables resolve against.
struct EvalContext {
  const nlohmann::json* predicate = nullptr;  // root for plain paths
  const nlohmann::json* request = nullptr;    // `request.*`; may be null
  const nlohmann::json* images = nullptr;     // `images.*`; may be null
};

struct ConditionResult {
  bool passed = false;
  std::string message;  // messages of the failed (or, when passed, the true) conditions
};

// EvaluateConditions: see the file comment. Never fails: a missing variable is null, and a
// comparison of incompatible types is false.
ConditionResult EvaluateConditions(const std::vector<AnyAllConditions>& conditions,
                                   const EvalContext& context);

// ResolveVariable: the value `path` (without braces) names, or null. Exposed for tests.
nlohmann::json ResolveVariable(absl::string_view path, const EvalContext& context);

}  // namespace hallmark::verifier::policy

#endif  // HALLMARK_VERIFIER_POLICY_CONDITIONS_H_
