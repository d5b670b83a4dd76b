// File: tests/apiserver/api_error.h
//
// ApiError is a Kubernetes `Status` failure body (apimachinery pkg/api/errors) carried inside an
// absl::Status, so every layer of the server returns ordinary absl::Status values and the HTTP
// layer still answers with the exact code, reason, message and details kube-apiserver sends
// (reference/kube-api.md §1).
//
//   return ToStatus(ApiError::NotFound({"tekton.dev", "pipelineruns"}, "x"));
//   ...
//   ApiError e = ApiError::FromStatus(status);   // any absl::Status works
//   res.status = e.code; res.set_content(e.ToJson().dump(), "application/json");
//
// The absl code of ToStatus(e) follows the HTTP code (404 kNotFound, 409 kAborted or
// kAlreadyExists, 400/422 kInvalidArgument, 410 kOutOfRange, 429/5xx kUnavailable...), so code
// that only looks at absl codes still makes the right retry decision.
#ifndef HALLMARK_TESTS_APISERVER_API_ERROR_H_
#define HALLMARK_TESTS_APISERVER_API_ERROR_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace hallmark::tests::apiserver {

// GroupResource: an API group ("" for core) and a resource plural ("pipelineruns").
struct GroupResource {
  std::string group;
  std::string resource;
  // String: "pipelineruns.tekton.dev", or "secrets" for the core group.
  std::string String() const;
};

// FieldError: one apimachinery field.Error (validation failure of one field).
struct FieldError {
  enum class Type {
    kNotFound,
    kRequired,
    kDuplicate,
    kInvalid,
    kNotSupported,
    kForbidden,
    kTooLong,
    kTooMany,
    kInternal,
  };
  Type type = Type::kInvalid;
  std::string field;  // "metadata.annotations"
  // bad_value: the JSON rendering apimachinery prints after "Invalid value: " (a quoted string, a
  // number, 0x0...); empty when the error type prints no value.
  std::string bad_value;
  std::string detail;

  // Reason: the CauseType ("FieldValueInvalid", "FieldValueTooLong"...).
  std::string Reason() const;
  // Body: "Invalid value: \"x\": detail" (apimachinery ErrorBody).
  std::string Body() const;
  // String: "field: body" (apimachinery Error()).
  std::string String() const;

  static FieldError Required(std::string field, std::string detail);
  static FieldError Invalid(std::string field, std::string quoted_value, std::string detail);
  static FieldError InvalidString(std::string field, absl::string_view value, std::string detail);
  static FieldError Forbidden(std::string field, std::string detail);
  static FieldError TooLong(std::string field, int max_bytes);
  static FieldError NotSupported(std::string field, absl::string_view value,
                                 const std::vector<std::string>& supported);
};

struct StatusCause {
  std::string type;  // "FieldValueInvalid", "FieldManagerConflict"... may be empty
  std::string message;
  std::string field;
};

class ApiError {
 public:
  int code = 500;
  std::string reason;  // "NotFound"; empty for webhook denials without a reason
  std::string message;
  // details; `has_details` false omits the "details" member entirely.
  bool has_details = false;
  std::string details_name;
  std::string details_group;
  std::string details_kind;
  std::string details_uid;
  std::vector<StatusCause> causes;
  int retry_after_seconds = 0;  // also sent as the Retry-After header when > 0
  std::string list_continue;    // metadata.continue of a 410 "inconsistent continue" Status

  // ToJson: the `Status` object (kind Status, apiVersion v1, status Failure).
  nlohmann::json ToJson() const;

  // FromStatus: the ApiError carried by `status`, or one derived from its absl code and message
  // (kInvalidArgument -> 400 BadRequest, kNotFound -> 404, kUnavailable -> 503, ...).
  // REQUIRES: !status.ok().
  static ApiError FromStatus(const absl::Status& status);

  // The apimachinery constructors, with their exact messages.
  static ApiError BadRequest(std::string message);
  static ApiError Unauthorized();
  static ApiError Forbidden(const GroupResource& gr, absl::string_view name, absl::string_view why);
  static ApiError NotFound(const GroupResource& gr, absl::string_view name);
  // NotFoundPath: an unknown URL ("the server could not find the requested resource").
  static ApiError NotFoundPath();
  static ApiError AlreadyExists(const GroupResource& gr, absl::string_view name);
  // Conflict: "Operation cannot be fulfilled on <gr> \"<name>\": <why>".
  static ApiError Conflict(const GroupResource& gr, absl::string_view name, absl::string_view why);
  // ConflictModified: Conflict with the optimistic-concurrency text.
  static ApiError ConflictModified(const GroupResource& gr, absl::string_view name);
  // Invalid: 422 with causes; `qualified_kind` is "Kind" or "Kind.group" (or a resource string,
  // as the generic registry uses for the resourceVersion check), `group`/`kind` go to details.
  static ApiError Invalid(absl::string_view group, absl::string_view kind, absl::string_view name,
                          const std::vector<FieldError>& errors);
  static ApiError Expired(std::string message);
  static ApiError Gone(std::string message);
  static ApiError MethodNotSupported(const GroupResource& gr, absl::string_view action);
  static ApiError UnsupportedMediaType(std::string message);
  static ApiError NotAcceptable(std::string message);
  static ApiError TooManyRequests(std::string message, int retry_after_seconds);
  static ApiError InternalError(absl::string_view what);
  static ApiError ServiceUnavailable(std::string message);
  static ApiError Timeout(std::string message, int retry_after_seconds);
  // WithCode: a generic failure with the reason kube uses for `code` (test knobs).
  static ApiError WithCode(int code, std::string message);
};

// ToStatus wraps `error` in an absl::Status (see the file comment for the code mapping).
absl::Status ToStatus(const ApiError& error);

// IsApiError: true if `status` carries an ApiError (was made by ToStatus).
bool IsApiError(const absl::Status& status);

// ReasonForCode: the StatusReason kube-apiserver pairs with an HTTP code ("" if none).
std::string ReasonForCode(int code);

}  // namespace hallmark::tests::apiserver

#endif  // HALLMARK_TESTS_APISERVER_API_ERROR_H_
