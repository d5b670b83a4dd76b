#include "kube/api_status.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "net/retry.h"

namespace hallmark::kube {
namespace {

constexpr char kPayloadUrl[] = "type.hallmark.dev/kube.ApiErrorInfo";
constexpr size_t kMaxExcerpt = 256;
constexpr size_t kMaxMessage = 4096;

// StringField: obj[key] when it is a string, else "".
std::string StringField(const nlohmann::json& obj, const char* key) {
  if (!obj.is_object()) return "";
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

// Bounded: a server message cut to a sane length (a hostile server could send megabytes).
std::string Bounded(std::string text) {
  if (text.size() > kMaxMessage) {
    text.resize(kMaxMessage);
    text += "...";
  }
  return text;
}

absl::Status Make(absl::StatusCode code, absl::string_view what, absl::string_view message,
                  const ApiErrorInfo& info) {
  std::string text = absl::StrCat(what, ": ", message, " (HTTP ", info.http_code);
  if (!info.reason.empty()) absl::StrAppend(&text, " ", info.reason);
  text += ")";
  absl::Status status(code, text);
  // Payload: "<http_code> <retry_after_ms or -1> <reason>" (the reason is one token).
  int64_t retry_ms = info.retry_after ? absl::ToInt64Milliseconds(*info.retry_after) : -1;
  status.SetPayload(kPayloadUrl,
                    absl::Cord(absl::StrCat(info.http_code, " ", retry_ms, " ", info.reason)));
  return status;
}

}  // namespace

absl::StatusCode CodeForHttpStatus(int http_code, absl::string_view reason) {
  switch (http_code) {
    case 400:
    case 413:
    case 415:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 409:
      return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                       : absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 429:
      return absl::StatusCode::kUnavailable;
    case 501:
      return absl::StatusCode::kUnimplemented;
    default:
      break;
  }
  if (http_code >= 500 && http_code <= 599) return absl::StatusCode::kUnavailable;
  if (http_code >= 200 && http_code <= 299) return absl::StatusCode::kOk;
  return absl::StatusCode::kFailedPrecondition;
}

absl::Status ErrorFromResponse(const net::HttpResponse& response, absl::string_view what,
                               absl::Time now) {
  ApiErrorInfo info;
  info.http_code = response.status;
  std::string message;
  nlohmann::json body = nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (!body.is_discarded() && body.is_object() && StringField(body, "kind") == "Status") {
    info.reason = StringField(body, "reason");
    message = Bounded(StringField(body, "message"));
    auto details = body.find("details");
    if (details != body.end() && details->is_object()) {
      auto ra = details->find("retryAfterSeconds");
      if (ra != details->end() && ra->is_number_integer() && ra->get<int64_t>() > 0) {
        info.retry_after = absl::Seconds(std::min<int64_t>(ra->get<int64_t>(), 86400));
      }
    }
  } else {
    message = absl::CHexEscape(absl::string_view(response.body).substr(0, kMaxExcerpt));
  }
  if (message.empty()) message = "no message";
  // A one-token reason keeps the payload parseable; kube reasons are CamelCase words anyway.
  info.reason.erase(std::remove_if(info.reason.begin(), info.reason.end(),
                                   [](char c) { return c == ' ' || c < 0x21 || c > 0x7e; }),
                    info.reason.end());
  if (info.reason.size() > 64) info.reason.resize(64);
  if (auto header = response.headers.Get("Retry-After")) {
    if (auto d = net::ParseRetryAfter(*header, now)) info.retry_after = d;
  }
  return Make(CodeForHttpStatus(response.status, info.reason), what, message, info);
}

absl::Status ErrorFromStatusObject(const nlohmann::json& status, absl::string_view what) {
  ApiErrorInfo info;
  std::string message = Bounded(StringField(status, "message"));
  if (message.empty()) message = "no message";
  info.reason = StringField(status, "reason");
  info.reason.erase(std::remove_if(info.reason.begin(), info.reason.end(),
                                   [](char c) { return c == ' ' || c < 0x21 || c > 0x7e; }),
                    info.reason.end());
  if (info.reason.size() > 64) info.reason.resize(64);
  if (status.is_object()) {
    auto code = status.find("code");
    if (code != status.end() && code->is_number_integer()) {
      int64_t c = code->get<int64_t>();
      if (c >= 100 && c <= 599) info.http_code = static_cast<int>(c);
    }
  }
  if (info.http_code == 0) {
    return absl::InternalError(absl::StrCat(what, ": error event without an HTTP code: ", message));
  }
  return Make(CodeForHttpStatus(info.http_code, info.reason), what, message, info);
}

std::optional<ApiErrorInfo> GetApiErrorInfo(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload) return std::nullopt;
  std::vector<std::string> parts = absl::StrSplit(std::string(*payload), absl::MaxSplits(' ', 2));
  if (parts.size() != 3) return std::nullopt;
  ApiErrorInfo info;
  int64_t retry_ms = -1;
  if (!absl::SimpleAtoi(parts[0], &info.http_code) || !absl::SimpleAtoi(parts[1], &retry_ms)) {
    return std::nullopt;
  }
  if (retry_ms >= 0) info.retry_after = absl::Milliseconds(retry_ms);
  info.reason = parts[2];
  return info;
}

bool IsResourceExpired(const absl::Status& status) {
  std::optional<ApiErrorInfo> info = GetApiErrorInfo(status);
  return info.has_value() && info->http_code == 410;
}

}  // namespace hallmark::kube
