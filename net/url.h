// File: net/url.h
//
// Url: an absolute http(s) URL parsed by libcurl's URL API (the same parser the transfer uses,
// so what we check is what curl will connect to). Used for redirect resolution, origin
// comparison (credentials never cross origins) and error messages without secrets.
#ifndef HALLMARK_NET_URL_H_
#define HALLMARK_NET_URL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark::net {

class Url {
 public:
  // Parse: an absolute URL with scheme http or https (any case) and a host. kInvalidArgument
  // otherwise (relative, other schemes, malformed, longer than 64 KiB); the message holds the
  // redacted form only.
  static absl::StatusOr<Url> Parse(absl::string_view text);

  // Resolve: `reference` (a Location header: absolute, scheme-relative, absolute-path or
  // relative) resolved against this URL per RFC 3986. Same errors as Parse for the result.
  absl::StatusOr<Url> Resolve(absl::string_view reference) const;

  const std::string& scheme() const { return scheme_; }  // "http" / "https", lower case
  const std::string& host() const { return host_; }      // lower case; IPv6 in brackets
  int port() const { return port_; }                     // explicit or the scheme default
  // PathAndQuery: "/v2/x/blobs/sha256:...?a=b" (what goes on the request line).
  const std::string& path_and_query() const { return path_and_query_; }
  bool has_userinfo() const { return has_userinfo_; }

  // String: the full URL as curl normalised it (may contain userinfo and query secrets: do not
  // log it; use Redacted()).
  const std::string& String() const { return url_; }
  // Origin: "scheme://host:port" with the port always explicit.
  std::string Origin() const;
  // Redacted: scheme://host[:port]/path, userinfo dropped, a query replaced by "?<redacted>"
  // (presigned blob URLs carry signatures there). Safe for logs and error messages.
  std::string Redacted() const;

  friend bool SameOrigin(const Url& a, const Url& b) { return a.Origin() == b.Origin(); }

 private:
  Url() = default;
  static absl::StatusOr<Url> FromCurl(void* handle);

  std::string url_;
  std::string scheme_;
  std::string host_;
  int port_ = 0;
  bool explicit_port_ = false;
  std::string path_and_query_;
  std::string path_;
  bool has_query_ = false;
  bool has_userinfo_ = false;
};

// RedactUrl: Url::Parse(url)->Redacted(), or "<invalid URL>" when it does not parse.
std::string RedactUrl(absl::string_view url);

}  // namespace hallmark::net

#endif  // HALLMARK_NET_URL_H_
