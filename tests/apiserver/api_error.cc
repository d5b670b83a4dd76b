#include "tests/apiserver/api_error.h"

#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace hallmark::tests::apiserver {
namespace {

using json = nlohmann::json;

constexpr absl::string_view kPayloadUrl = "type.hallmark.dev/apiserver.Status";

absl::StatusCode AbslCodeFor(int http_code, absl::string_view reason) {
  switch (http_code) {
    case 400:
    case 415:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
    case 406:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                       : absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return absl::StatusCode::kUnavailable;
    default:
      return http_code >= 500 ? absl::StatusCode::kUnavailable : absl::StatusCode::kUnknown;
  }
}

std::string Quote(absl::string_view s) {
  // Go's %q for the ASCII strings we quote: escape backslash and double quote.
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

std::string GroupResource::String() const {
  return group.empty() ? resource : absl::StrCat(resource, ".", group);
}

std::string FieldError::Reason() const {
  switch (type) {
    case Type::kNotFound:
      return "FieldValueNotFound";
    case Type::kRequired:
      return "FieldValueRequired";
    case Type::kDuplicate:
      return "FieldValueDuplicate";
    case Type::kInvalid:
      return "FieldValueInvalid";
    case Type::kNotSupported:
      return "FieldValueNotSupported";
    case Type::kForbidden:
      return "FieldValueForbidden";
    case Type::kTooLong:
      return "FieldValueTooLong";
    case Type::kTooMany:
      return "FieldValueTooMany";
    case Type::kInternal:
      return "InternalError";
  }
  return "FieldValueInvalid";
}

std::string FieldError::Body() const {
  std::string name;
  switch (type) {
    case Type::kNotFound:
      name = "Not found";
      break;
    case Type::kRequired:
      name = "Required value";
      break;
    case Type::kDuplicate:
      name = "Duplicate value";
      break;
    case Type::kInvalid:
      name = "Invalid value";
      break;
    case Type::kNotSupported:
      name = "Unsupported value";
      break;
    case Type::kForbidden:
      name = "Forbidden";
      break;
    case Type::kTooLong:
      name = "Too long";
      break;
    case Type::kTooMany:
      name = "Too many";
      break;
    case Type::kInternal:
      name = "Internal error";
      break;
  }
  std::string s = name;
  bool prints_value = type != Type::kRequired && type != Type::kForbidden &&
                      type != Type::kTooLong && type != Type::kInternal;
  if (prints_value && !bad_value.empty()) absl::StrAppend(&s, ": ", bad_value);
  if (!detail.empty()) absl::StrAppend(&s, ": ", detail);
  return s;
}

std::string FieldError::String() const { return absl::StrCat(field, ": ", Body()); }

FieldError FieldError::Required(std::string field, std::string detail) {
  return FieldError{Type::kRequired, std::move(field), "", std::move(detail)};
}

FieldError FieldError::Invalid(std::string field, std::string quoted_value, std::string detail) {
  return FieldError{Type::kInvalid, std::move(field), std::move(quoted_value), std::move(detail)};
}

FieldError FieldError::InvalidString(std::string field, absl::string_view value,
                                     std::string detail) {
  return FieldError{Type::kInvalid, std::move(field), Quote(value), std::move(detail)};
}

FieldError FieldError::Forbidden(std::string field, std::string detail) {
  return FieldError{Type::kForbidden, std::move(field), "", std::move(detail)};
}

FieldError FieldError::TooLong(std::string field, int max_bytes) {
  return FieldError{Type::kTooLong, std::move(field), "",
                    absl::StrCat("may not be more than ", max_bytes, " bytes")};
}

FieldError FieldError::NotSupported(std::string field, absl::string_view value,
                                    const std::vector<std::string>& supported) {
  std::vector<std::string> quoted;
  for (const auto& s : supported) quoted.push_back(Quote(s));
  return FieldError{Type::kNotSupported, std::move(field), Quote(value),
                    absl::StrCat("supported values: ", absl::StrJoin(quoted, ", "))};
}

json ApiError::ToJson() const {
  json status = {{"kind", "Status"},
                 {"apiVersion", "v1"},
                 {"metadata", json::object()},
                 {"status", "Failure"},
                 {"message", message}};
  if (!list_continue.empty()) status["metadata"]["continue"] = list_continue;
  if (!reason.empty()) status["reason"] = reason;
  if (has_details) {
    json details = json::object();
    if (!details_name.empty()) details["name"] = details_name;
    if (!details_group.empty()) details["group"] = details_group;
    if (!details_kind.empty()) details["kind"] = details_kind;
    if (!details_uid.empty()) details["uid"] = details_uid;
    if (!causes.empty()) {
      json list = json::array();
      for (const auto& c : causes) {
        json cause = json::object();
        if (!c.type.empty()) cause["reason"] = c.type;
        if (!c.message.empty()) cause["message"] = c.message;
        if (!c.field.empty()) cause["field"] = c.field;
        list.push_back(std::move(cause));
      }
      details["causes"] = std::move(list);
    }
    if (retry_after_seconds > 0) details["retryAfterSeconds"] = retry_after_seconds;
    status["details"] = std::move(details);
  }
  status["code"] = code;
  return status;
}

absl::Status ToStatus(const ApiError& error) {
  absl::Status status(AbslCodeFor(error.code, error.reason), error.message);
  json payload = error.ToJson();
  payload["x-retry-after"] = error.retry_after_seconds;
  payload["x-has-details"] = error.has_details;
  // Messages quote names from the request, which may be invalid UTF-8 (a %FF in the path): as Go
  // does, replace such bytes with U+FFFD rather than throw.
  status.SetPayload(kPayloadUrl,
                    absl::Cord(payload.dump(-1, ' ', false, json::error_handler_t::replace)));
  return status;
}

bool IsApiError(const absl::Status& status) { return status.GetPayload(kPayloadUrl).has_value(); }

ApiError ApiError::FromStatus(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);
  if (payload.has_value()) {
    json j = json::parse(std::string(*payload), nullptr, /*allow_exceptions=*/false);
    if (j.is_object()) {
      ApiError e;
      e.code = j.value("code", 500);
      e.reason = j.value("reason", "");
      e.message = j.value("message", "");
      e.has_details = j.value("x-has-details", false);
      e.retry_after_seconds = j.value("x-retry-after", 0);
      if (j["metadata"].is_object()) e.list_continue = j["metadata"].value("continue", "");
      const json& d = j.contains("details") ? j["details"] : json();
      if (d.is_object()) {
        e.details_name = d.value("name", "");
        e.details_group = d.value("group", "");
        e.details_kind = d.value("kind", "");
        e.details_uid = d.value("uid", "");
        if (d.contains("causes") && d["causes"].is_array()) {
          for (const auto& c : d["causes"]) {
            if (!c.is_object()) continue;
            e.causes.push_back(
                {c.value("reason", ""), c.value("message", ""), c.value("field", "")});
          }
        }
      }
      return e;
    }
  }
  std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return BadRequest(message);
    case absl::StatusCode::kNotFound: {
      ApiError e;
      e.code = 404;
      e.reason = "NotFound";
      e.message = message;
      return e;
    }
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return WithCode(409, message);
    case absl::StatusCode::kUnauthenticated:
      return Unauthorized();
    case absl::StatusCode::kPermissionDenied:
      return WithCode(403, message);
    case absl::StatusCode::kUnavailable:
      return ServiceUnavailable(message);
    case absl::StatusCode::kDeadlineExceeded:
      return Timeout(message, 0);
    case absl::StatusCode::kOutOfRange:
      return Expired(message);
    default:
      return InternalError(message);
  }
}

ApiError ApiError::BadRequest(std::string message) {
  ApiError e;
  e.code = 400;
  e.reason = "BadRequest";
  e.message = std::move(message);
  return e;
}

ApiError ApiError::Unauthorized() {
  ApiError e;
  e.code = 401;
  e.reason = "Unauthorized";
  e.message = "Unauthorized";
  return e;
}

ApiError ApiError::Forbidden(const GroupResource& gr, absl::string_view name,
                             absl::string_view why) {
  ApiError e;
  e.code = 403;
  e.reason = "Forbidden";
  if (gr.resource.empty()) {
    e.message = absl::StrCat("forbidden: ", why);
  } else if (name.empty()) {
    e.message = absl::StrCat(gr.String(), " is forbidden: ", why);
  } else {
    e.message = absl::StrCat(gr.String(), " ", Quote(name), " is forbidden: ", why);
  }
  e.has_details = true;
  e.details_name = std::string(name);
  e.details_group = gr.group;
  e.details_kind = gr.resource;
  return e;
}

ApiError ApiError::NotFound(const GroupResource& gr, absl::string_view name) {
  ApiError e;
  e.code = 404;
  e.reason = "NotFound";
  e.message = absl::StrCat(gr.String(), " ", Quote(name), " not found");
  e.has_details = true;
  e.details_name = std::string(name);
  e.details_group = gr.group;
  e.details_kind = gr.resource;
  return e;
}

ApiError ApiError::NotFoundPath() {
  ApiError e;
  e.code = 404;
  e.reason = "NotFound";
  e.message = "the server could not find the requested resource";
  e.has_details = true;
  return e;
}

ApiError ApiError::AlreadyExists(const GroupResource& gr, absl::string_view name) {
  ApiError e;
  e.code = 409;
  e.reason = "AlreadyExists";
  e.message = absl::StrCat(gr.String(), " ", Quote(name), " already exists");
  e.has_details = true;
  e.details_name = std::string(name);
  e.details_group = gr.group;
  e.details_kind = gr.resource;
  return e;
}

ApiError ApiError::Conflict(const GroupResource& gr, absl::string_view name,
                            absl::string_view why) {
  ApiError e;
  e.code = 409;
  e.reason = "Conflict";
  e.message =
      absl::StrCat("Operation cannot be fulfilled on ", gr.String(), " ", Quote(name), ": ", why);
  e.has_details = true;
  e.details_name = std::string(name);
  e.details_group = gr.group;
  e.details_kind = gr.resource;
  return e;
}

ApiError ApiError::ConflictModified(const GroupResource& gr, absl::string_view name) {
  return Conflict(gr, name,
                  "the object has been modified; please apply your changes to the latest "
                  "version and try again");
}

ApiError ApiError::Invalid(absl::string_view group, absl::string_view kind, absl::string_view name,
                           const std::vector<FieldError>& errors) {
  ApiError e;
  e.code = 422;
  e.reason = "Invalid";
  std::string qualified = group.empty() ? std::string(kind) : absl::StrCat(kind, ".", group);
  if (errors.empty()) {
    e.message = absl::StrCat(qualified, " ", Quote(name), " is invalid");
  } else if (errors.size() == 1) {
    e.message = absl::StrCat(qualified, " ", Quote(name), " is invalid: ", errors[0].String());
  } else {
    std::vector<std::string> parts;
    for (const auto& fe : errors) parts.push_back(fe.String());
    e.message = absl::StrCat(qualified, " ", Quote(name), " is invalid: [",
                             absl::StrJoin(parts, ", "), "]");
  }
  e.has_details = true;
  e.details_name = std::string(name);
  e.details_group = std::string(group);
  e.details_kind = std::string(kind);
  for (const auto& fe : errors) e.causes.push_back({fe.Reason(), fe.Body(), fe.field});
  return e;
}

ApiError ApiError::Expired(std::string message) {
  ApiError e;
  e.code = 410;
  e.reason = "Expired";
  e.message = std::move(message);
  return e;
}

ApiError ApiError::Gone(std::string message) {
  ApiError e;
  e.code = 410;
  e.reason = "Gone";
  e.message = std::move(message);
  return e;
}

ApiError ApiError::MethodNotSupported(const GroupResource& gr, absl::string_view action) {
  ApiError e;
  e.code = 405;
  e.reason = "MethodNotAllowed";
  e.message = absl::StrCat(action, " is not supported on resources of kind ", Quote(gr.String()));
  e.has_details = true;
  e.details_group = gr.group;
  e.details_kind = gr.resource;
  return e;
}

ApiError ApiError::UnsupportedMediaType(std::string message) {
  ApiError e;
  e.code = 415;
  e.reason = "UnsupportedMediaType";
  e.message = std::move(message);
  return e;
}

ApiError ApiError::NotAcceptable(std::string message) {
  ApiError e;
  e.code = 406;
  e.reason = "NotAcceptable";
  e.message = std::move(message);
  return e;
}

ApiError ApiError::TooManyRequests(std::string message, int retry_after_seconds) {
  ApiError e;
  e.code = 429;
  e.reason = "TooManyRequests";
  e.message = std::move(message);
  e.retry_after_seconds = retry_after_seconds;
  e.has_details = retry_after_seconds > 0;
  return e;
}

ApiError ApiError::InternalError(absl::string_view what) {
  ApiError e;
  e.code = 500;
  e.reason = "InternalError";
  e.message = absl::StrCat("Internal error occurred: ", what);
  e.has_details = true;
  e.causes.push_back({"", std::string(what), ""});
  return e;
}

ApiError ApiError::ServiceUnavailable(std::string message) {
  ApiError e;
  e.code = 503;
  e.reason = "ServiceUnavailable";
  e.message = std::move(message);
  return e;
}

ApiError ApiError::Timeout(std::string message, int retry_after_seconds) {
  ApiError e;
  e.code = 504;
  e.reason = "Timeout";
  e.message = std::move(message);
  e.retry_after_seconds = retry_after_seconds;
  e.has_details = retry_after_seconds > 0;
  return e;
}

ApiError ApiError::WithCode(int code, std::string message) {
  ApiError e;
  e.code = code;
  e.reason = ReasonForCode(code);
  e.message = std::move(message);
  return e;
}

std::string ReasonForCode(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "";
  }
}

}  // namespace hallmark::tests::apiserver
