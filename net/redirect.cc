#include "net/redirect.h"

#include <set>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "net/host.h"
#include "net/url.h"

namespace hallmark::net {

bool IsRedirectStatus(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

absl::StatusOr<HttpResponse> DoFollowingRedirects(HttpClient& client, const HttpRequest& request,
                                                  const RedirectOptions& options) {
  HM_RETURN_IF_ERROR(ValidateRequest(request));
  HM_ASSIGN_OR_RETURN(const Url original, Url::Parse(request.url));
  const absl::Time deadline = options.clock->Now() + request.timeout;

  HttpRequest hop = request;
  Url current = original;
  std::set<std::string> seen = {current.String()};
  for (int redirects = 0;; ++redirects) {
    absl::Duration left = deadline - options.clock->Now();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(
          absl::StrCat(MethodName(hop.method), " ", current.Redacted(),
                       ": deadline passed while following redirects"));
    }
    hop.timeout = left;
    HM_ASSIGN_OR_RETURN(HttpResponse response, client.Do(hop));
    if (!IsRedirectStatus(response.status)) return response;
    std::optional<std::string> location = response.headers.Get("Location");
    if (!location.has_value()) return response;

    const std::string where = absl::StrCat(MethodName(request.method), " ", original.Redacted());
    if (redirects >= options.max_redirects) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": more than ", options.max_redirects, " redirects"));
    }
    auto next = current.Resolve(*location);
    if (!next.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          where, ": redirect from ", current.Redacted(), " to an invalid or non-http(s) Location"));
    }
    if (!seen.insert(next->String()).second) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": redirect loop back to ", next->Redacted()));
    }
    if (current.scheme() == "https" && next->scheme() == "http" && !IsLoopbackHost(next->host())) {
      return absl::FailedPreconditionError(absl::StrCat(
          where, ": refusing redirect from https to plain http (", next->Redacted(), ")"));
    }
    if (!SameOrigin(*next, original)) hop.authorization = SecretData();
    if ((response.status == 301 || response.status == 302 || response.status == 303) &&
        hop.method != Method::kGet && hop.method != Method::kHead) {
      hop.method = Method::kGet;
      hop.body = absl::string_view();
      hop.headers.Remove("Content-Type");
    }
    hop.url = next->String();
    current = *std::move(next);
  }
}

}  // namespace hallmark::net
