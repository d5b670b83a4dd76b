// File: kube/api_status.h
//
// Kubernetes `Status` failures (reference/kube-api.md §1: every non-2xx answer, and the object of
// a watch ERROR event) turned into absl::Status values whose code carries the retry decision:
//
//   HTTP  reason                absl code
//   400   BadRequest            kInvalidArgument
//   401   Unauthorized          kUnauthenticated
//   403   Forbidden             kPermissionDenied
//   404   NotFound              kNotFound
//   409   AlreadyExists         kAlreadyExists
//   409   Conflict (any other)  kAborted            (stale resourceVersion: re-read, then retry)
//   410   Expired / Gone        kOutOfRange         (resourceVersion or continue token too old:
//                                                    relist; "out of the kept history range")
//   413, 415, 422               kInvalidArgument
//   429, 500, 502-504, other 5xx kUnavailable       (retry with backoff, honouring Retry-After)
//   501                         kUnimplemented
//   other 3xx/4xx               kFailedPrecondition
//
// The message is "<what>: <the server's message> (HTTP <code> <reason>)"; when the body is not a
// Status, a C-escaped excerpt of at most 256 bytes stands in for the server's message. The HTTP
// code, reason and Retry-After travel in a payload that GetApiErrorInfo() reads back.
#ifndef HALLMARK_KUBE_API_STATUS_H_
#define HALLMARK_KUBE_API_STATUS_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "net/http_client.h"
#include "nlohmann/json.hpp"

namespace hallmark::kube {

// ApiErrorInfo: what the server said, beyond the absl code.
struct ApiErrorInfo {
  int http_code = 0;   // 404, 410, ... (0: not from an API answer)
  std::string reason;  // "NotFound", "Expired", "" when the server sent none
  // Retry-After of the response (seconds form or HTTP date), or details.retryAfterSeconds.
  std::optional<absl::Duration> retry_after;
};

// CodeForHttpStatus: the absl code for an HTTP status and Status reason (table above).
absl::StatusCode CodeForHttpStatus(int http_code, absl::string_view reason);

// ErrorFromResponse: the error for a non-2xx `response` (REQUIRES: !response.ok()); `now` resolves
// a Retry-After date. `what` names the operation ("PATCH taskruns.tekton.dev ns/name").
absl::Status ErrorFromResponse(const net::HttpResponse& response, absl::string_view what,
                               absl::Time now);

// ErrorFromStatusObject: the error for a `Status` object (a watch ERROR event). A missing or
// non-numeric `code` gives kInternal with the object's message.
absl::Status ErrorFromStatusObject(const nlohmann::json& status, absl::string_view what);

// GetApiErrorInfo: the details attached by the functions above; nullopt for other statuses.
std::optional<ApiErrorInfo> GetApiErrorInfo(const absl::Status& status);

// IsResourceExpired: the server said 410 (Expired or Gone): the resourceVersion or continue
// token is too old and the caller must start over from a fresh list.
bool IsResourceExpired(const absl::Status& status);

}  // namespace hallmark::kube

#endif  // HALLMARK_KUBE_API_STATUS_H_
