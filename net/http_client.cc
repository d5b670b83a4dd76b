#include "net/http_client.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "net/url.h"

namespace hallmark::net {
namespace {

constexpr size_t kMaxBodyExcerpt = 256;

// RFC 9110 tchar.
bool IsTokenChar(char c) {
  return absl::ascii_isalnum(c) || absl::StrContains("!#$%&'*+-.^_`|~", c);
}

bool HasLineBreakOrNul(absl::string_view s) {
  return s.find_first_of(absl::string_view("\r\n\0", 3)) != absl::string_view::npos;
}

absl::Status Invalid(const HttpRequest& request, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat("invalid HTTP request ",
                                                 MethodName(request.method), " ",
                                                 RedactUrl(request.url), ": ", problem));
}

}  // namespace

absl::string_view MethodName(Method method) {
  switch (method) {
    case Method::kGet:
      return "GET";
    case Method::kHead:
      return "HEAD";
    case Method::kPut:
      return "PUT";
    case Method::kPost:
      return "POST";
    case Method::kPatch:
      return "PATCH";
    case Method::kDelete:
      return "DELETE";
  }
  return "GET";
}

absl::Status ValidateRequest(const HttpRequest& request) {
  if (!Url::Parse(request.url).ok()) return Invalid(request, "URL is not an absolute http(s) URL");
  if (request.timeout <= absl::ZeroDuration() || request.timeout == absl::InfiniteDuration()) {
    return Invalid(request, "timeout must be finite and positive");
  }
  if (request.idle_timeout <= absl::ZeroDuration()) {
    return Invalid(request, "idle_timeout must be positive (infinite to turn it off)");
  }
  if (request.max_response_bytes == 0) return Invalid(request, "max_response_bytes is 0");
  bool body_allowed = request.method == Method::kPost || request.method == Method::kPut ||
                      request.method == Method::kPatch || request.method == Method::kDelete;
  if (!request.body.empty() && !body_allowed) {
    return Invalid(request, "a body is not allowed on this method");
  }
  for (const auto& [name, value] : request.headers.entries()) {
    if (name.empty()) return Invalid(request, "empty header name");
    for (char c : name) {
      if (!IsTokenChar(c)) {
        return Invalid(request,
                       absl::StrCat("header name \"", absl::CEscape(name), "\" is not a token"));
      }
    }
    if (HasLineBreakOrNul(value)) {
      return Invalid(request, absl::StrCat("value of header ", name, " contains CR, LF or NUL"));
    }
    for (absl::string_view reserved :
         {"Authorization", "Host", "Content-Length", "Transfer-Encoding", "Connection", "Expect"}) {
      if (absl::EqualsIgnoreCase(name, reserved)) {
        return Invalid(request, absl::StrCat("header ", name, " is set by the client",
                                             reserved == "Authorization"
                                                 ? " (put credentials in `authorization`)"
                                                 : ""));
      }
    }
  }
  if (HasLineBreakOrNul(request.authorization.InsecureView())) {
    // Say nothing about the value itself.
    return Invalid(request, "authorization contains CR, LF or NUL");
  }
  return absl::OkStatus();
}

absl::Status HttpStatusToStatus(const HttpResponse& response, absl::string_view context) {
  if (response.ok()) return absl::OkStatus();
  absl::string_view body = response.body;
  std::string excerpt = absl::CEscape(body.substr(0, kMaxBodyExcerpt));
  if (body.size() > kMaxBodyExcerpt) absl::StrAppend(&excerpt, "...");
  std::string message =
      absl::StrCat(context, ": HTTP ", response.status, " from ", RedactUrl(response.url));
  if (!excerpt.empty()) absl::StrAppend(&message, ": ", excerpt);
  int s = response.status;
  if (s == 408 || s == 429 || (s >= 500 && s != 501)) return absl::UnavailableError(message);
  if (s == 400 || s == 422) return absl::InvalidArgumentError(message);
  if (s == 401) return absl::UnauthenticatedError(message);
  if (s == 403) return absl::PermissionDeniedError(message);
  if (s == 404) return absl::NotFoundError(message);
  if (s == 409) return absl::AbortedError(message);
  if (s == 501) return absl::UnimplementedError(message);
  return absl::FailedPreconditionError(message);
}

}  // namespace hallmark::net
