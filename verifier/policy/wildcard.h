// File: verifier/policy/wildcard.h
//
// Kyverno's glob (`ext/wildcard`, IGLOU-EU/go-wildcard v1 semantics), used for imageReferences,
// skipImageReferences, names, namespaces, label values and the Equals condition operator:
// the WHOLE string must match; `*` matches any run of characters (including none, `/` and `:`);
// `?` matches exactly one character (a UTF-8 code point); everything else matches itself, case
// sensitive. There is no escaping and no character class.
//
//   WildcardMatch("ghcr.io/kyverno/*", "ghcr.io/kyverno/test-verify-image:signed")  // true
//   WildcardMatch("docker.io/nginx:*", "docker.io/nginx@sha256:...")                // false
#ifndef HALLMARK_VERIFIER_POLICY_WILDCARD_H_
#define HALLMARK_VERIFIER_POLICY_WILDCARD_H_

#include "absl/strings/string_view.h"

namespace hallmark::verifier::policy {

// WildcardMatch: linear in |pattern| * |text| at worst (no exponential backtracking).
bool WildcardMatch(absl::string_view pattern, absl::string_view text);

// HasWildcard: the pattern contains `*` or `?`.
bool HasWildcard(absl::string_view pattern);

}  // namespace hallmark::verifier::policy

#endif  // HALLMARK_VERIFIER_POLICY_WILDCARD_H_
