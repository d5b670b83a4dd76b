// File: verifier/webhook/admission.h
//
// admission.k8s.io/v1 AdmissionReview in and out (reference/cosign-kyverno.md §8.5), the way
// Kyverno's handlers do it: the response is the SAME review with `response` added:
//   {"uid": <request.uid>, "allowed": bool,
//    "status": {"metadata": {}, "status": "Failure", "message": ...}     (denied),
//    "patch": <base64 RFC 6902>, "patchType": "JSONPatch"                 (mutated),
//    "warnings": [...]                                                   (if any)}
#ifndef HALLMARK_VERIFIER_WEBHOOK_ADMISSION_H_
#define HALLMARK_VERIFIER_WEBHOOK_ADMISSION_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "verifier/policy/engine.h"

namespace hallmark::verifier::webhook {

// Kubernetes objects are at most ~1.5 MiB (etcd); a review carries two of them.
inline constexpr size_t kMaxReviewBytes = 4 << 20;

struct ParsedReview {
  nlohmann::json review;  // the whole AdmissionReview, echoed back
  std::string uid;
  bool dry_run = false;
  policy::AdmissionInput input;
};

// ParseAdmissionReview: kInvalidArgument (naming the field) unless `body` is an
// admission.k8s.io/v1 AdmissionReview with a request holding a uid, kind {group, version, kind},
// an operation and (except for DELETE) an object. Never throws.
absl::StatusOr<ParsedReview> ParseAdmissionReview(absl::string_view body);

// AllowedResponse / DeniedResponse: the review to send back (serialised).
std::string AllowedResponse(const ParsedReview& parsed, const nlohmann::json& patch,
                            const std::vector<std::string>& warnings);
std::string DeniedResponse(const ParsedReview& parsed, const std::string& message,
                           const std::vector<std::string>& warnings = {});

}  // namespace hallmark::verifier::webhook

#endif  // HALLMARK_VERIFIER_WEBHOOK_ADMISSION_H_
