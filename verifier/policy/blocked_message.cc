#include "verifier/policy/blocked_message.h"

#include "absl/strings/str_cat.h"
#include "verifier/policy/internal/go_yaml.h"

namespace hallmark::verifier::policy {

std::string BlockedMessage(absl::string_view kind, absl::string_view ns, absl::string_view name,
                           const FailureMap& failures) {
  internal::NestedStringMap kept;
  for (const auto& [policy, rules] : failures) {
    if (!rules.empty()) kept[policy] = rules;
  }
  if (kept.empty()) return "";
  return absl::StrCat("\n\nresource ", kind, "/", ns, "/", name,
                      " was blocked due to the following policies \n\n",
                      internal::MarshalGoYamlV2(kept));
}

}  // namespace hallmark::verifier::policy
