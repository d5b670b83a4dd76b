#include "net/url.h"

#include <cstdlib>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "base/curl_ptr.h"
#include "base/status_macros.h"

namespace hallmark::net {
namespace {

constexpr size_t kMaxUrlLength = 64 * 1024;

absl::StatusOr<std::string> GetPart(CURLU* u, CURLUPart part, unsigned int flags) {
  char* raw = nullptr;
  CURLUcode rc = curl_url_get(u, part, &raw, flags);
  CurlStringPtr owned(raw);
  if (rc != CURLUE_OK || raw == nullptr) return absl::NotFoundError("no such URL part");
  return std::string(raw);
}

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("invalid URL: ", what));
}

}  // namespace

absl::StatusOr<Url> Url::FromCurl(void* handle) {
  CURLU* u = static_cast<CURLU*>(handle);
  Url url;
  HM_ASSIGN_OR_RETURN(url.url_, GetPart(u, CURLUPART_URL, 0));
  HM_ASSIGN_OR_RETURN(url.scheme_, GetPart(u, CURLUPART_SCHEME, 0));
  url.scheme_ = absl::AsciiStrToLower(url.scheme_);
  if (url.scheme_ != "http" && url.scheme_ != "https") {
    return Invalid(absl::StrCat("scheme \"", url.scheme_, "\" is not http or https"));
  }
  auto host = GetPart(u, CURLUPART_HOST, 0);
  if (!host.ok() || host->empty()) return Invalid("no host");
  url.host_ = absl::AsciiStrToLower(*host);
  auto explicit_port = GetPart(u, CURLUPART_PORT, 0);
  url.explicit_port_ = explicit_port.ok();
  HM_ASSIGN_OR_RETURN(std::string port, GetPart(u, CURLUPART_PORT, CURLU_DEFAULT_PORT));
  // curl takes ":00" as port 0, which nothing listens on.
  if (!absl::SimpleAtoi(port, &url.port_) || url.port_ <= 0 || url.port_ > 65535) {
    return Invalid(absl::StrCat("bad port \"", port, "\""));
  }
  auto path = GetPart(u, CURLUPART_PATH, 0);
  url.path_ = path.ok() && !path->empty() ? *path : "/";
  url.path_and_query_ = url.path_;
  auto query = GetPart(u, CURLUPART_QUERY, 0);
  if (query.ok()) {
    url.has_query_ = true;
    absl::StrAppend(&url.path_and_query_, "?", *query);
  }
  url.has_userinfo_ = GetPart(u, CURLUPART_USER, 0).ok() || GetPart(u, CURLUPART_PASSWORD, 0).ok();
  return url;
}

absl::StatusOr<Url> Url::Parse(absl::string_view text) {
  if (text.size() > kMaxUrlLength) return Invalid("longer than 64 KiB");
  CurlUrlPtr u(curl_url());
  if (u == nullptr) return absl::ResourceExhaustedError("curl_url: out of memory");
  // No CURLU_GUESS_SCHEME: a URL without a scheme is relative, not "http://" by guess.
  if (curl_url_set(u.get(), CURLUPART_URL, std::string(text).c_str(), 0) != CURLUE_OK) {
    return Invalid("not an absolute http(s) URL");
  }
  return FromCurl(u.get());
}

absl::StatusOr<Url> Url::Resolve(absl::string_view reference) const {
  if (reference.size() > kMaxUrlLength) return Invalid("longer than 64 KiB");
  CurlUrlPtr u(curl_url());
  if (u == nullptr) return absl::ResourceExhaustedError("curl_url: out of memory");
  if (curl_url_set(u.get(), CURLUPART_URL, url_.c_str(), 0) != CURLUE_OK) {
    return Invalid("base URL does not parse");
  }
  // With a base URL already set, curl_url_set resolves a relative reference against it.
  if (curl_url_set(u.get(), CURLUPART_URL, std::string(reference).c_str(), 0) != CURLUE_OK) {
    return Invalid("Location does not resolve to a URL");
  }
  return FromCurl(u.get());
}

std::string Url::Origin() const { return absl::StrCat(scheme_, "://", host_, ":", port_); }

std::string Url::Redacted() const {
  std::string out = absl::StrCat(scheme_, "://", host_);
  if (explicit_port_) absl::StrAppend(&out, ":", port_);
  absl::StrAppend(&out, path_);
  if (has_query_) absl::StrAppend(&out, "?<redacted>");
  return out;
}

std::string RedactUrl(absl::string_view url) {
  auto parsed = Url::Parse(url);
  return parsed.ok() ? parsed->Redacted() : "<invalid URL>";
}

}  // namespace hallmark::net
