// File: verifier/policy/blocked_message.h
//
// The denial text of Kyverno's admission webhooks (pkg/webhooks/utils GetBlockedMessages),
// byte for byte:
//
//   "\n\nresource <Kind>/<namespace>/<name> was blocked due to the following policies \n\n" +
//   yaml.v2 Marshal of {policy: {rule: message}}
//
// (note the space before each "\n\n"), for the rules whose status is neither pass nor skip; a
// rule seen several times keeps its last message. kubectl prints it after
// `Error from server: admission webhook "<name>" denied the request: `.
#ifndef HALLMARK_VERIFIER_POLICY_BLOCKED_MESSAGE_H_
#define HALLMARK_VERIFIER_POLICY_BLOCKED_MESSAGE_H_

#include <map>
#include <string>

#include "absl/strings/string_view.h"

namespace hallmark::verifier::policy {

// policy name -> rule name -> message.
using FailureMap = std::map<std::string, std::map<std::string, std::string>>;

// BlockedMessage: "" when `failures` is empty (Kyverno then has nothing to say).
std::string BlockedMessage(absl::string_view kind, absl::string_view ns, absl::string_view name,
                           const FailureMap& failures);

}  // namespace hallmark::verifier::policy

#endif  // HALLMARK_VERIFIER_POLICY_BLOCKED_MESSAGE_H_
