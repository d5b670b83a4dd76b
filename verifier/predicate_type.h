// File: verifier/predicate_type.h
//
// cosign's `--type` values for attest / verify-attestation (cosign-kyverno.md §4): shortcuts
// for well-known predicate URIs; anything else is used as the URI itself. The default is
// `custom`.
#ifndef HALLMARK_VERIFIER_PREDICATE_TYPE_H_
#define HALLMARK_VERIFIER_PREDICATE_TYPE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::verifier {

inline constexpr absl::string_view kCustomPredicateType =
    "https://cosign.sigstore.dev/attestation/v1";

// ResolvePredicateType: custom -> https://cosign.sigstore.dev/attestation/v1,
// slsaprovenance / slsaprovenance02 -> https://slsa.dev/provenance/v0.2,
// slsaprovenance1 -> https://slsa.dev/provenance/v1, spdx / spdxjson -> https://spdx.dev/Document,
// cyclonedx -> https://cyclonedx.org/bom, link -> https://in-toto.io/Link/v1,
// vuln -> https://cosign.sigstore.dev/attestation/vuln/v1, openvex -> https://openvex.dev/ns;
// any other non-empty value as is. kInvalidArgument for an empty value or one with whitespace or
// control characters.
absl::StatusOr<std::string> ResolvePredicateType(absl::string_view type);

}  // namespace hallmark::verifier

#endif  // HALLMARK_VERIFIER_PREDICATE_TYPE_H_
