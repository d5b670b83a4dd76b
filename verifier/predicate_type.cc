#include "verifier/predicate_type.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace hallmark::verifier {

absl::StatusOr<std::string> ResolvePredicateType(absl::string_view type) {
  static constexpr std::pair<absl::string_view, absl::string_view> kShortcuts[] = {
      {"custom", kCustomPredicateType},
      {"slsaprovenance", "https://slsa.dev/provenance/v0.2"},
      {"slsaprovenance02", "https://slsa.dev/provenance/v0.2"},
      {"slsaprovenance1", "https://slsa.dev/provenance/v1"},
      {"spdx", "https://spdx.dev/Document"},
      {"spdxjson", "https://spdx.dev/Document"},
      {"cyclonedx", "https://cyclonedx.org/bom"},
      {"link", "https://in-toto.io/Link/v1"},
      {"vuln", "https://cosign.sigstore.dev/attestation/vuln/v1"},
      {"openvex", "https://openvex.dev/ns"},
  };
  for (const auto& [name, uri] : kShortcuts) {
    if (type == name) return std::string(uri);
  }
  if (type.empty() || std::any_of(type.begin(), type.end(), [](char c) {
        return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f;
      })) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid predicate type \"", absl::CHexEscape(type), "\""));
  }
  return std::string(type);
}

}  // namespace hallmark::verifier
