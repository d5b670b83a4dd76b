// Fuzz target for URL parsing, resolution and redaction: nothing crashes, errors are
// kInvalidArgument, a parsed URL is http(s) with a host, and the redacted form never carries
// userinfo or the query (where presigned URLs keep their signatures).
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "net/url.h"

namespace {

void Check(const absl::StatusOr<hallmark::net::Url>& url) {
  if (!url.ok()) {
    if (url.status().code() != absl::StatusCode::kInvalidArgument) std::abort();
    return;
  }
  if (url->scheme() != "http" && url->scheme() != "https") std::abort();
  if (url->host().empty() || url->port() <= 0 || url->port() > 65535) std::abort();
  std::string redacted = url->Redacted();
  // No userinfo in the authority ('@' may appear in the path).
  size_t authority = redacted.find("://") + 3;
  size_t path = redacted.find('/', authority);
  if (absl::StrContains(redacted.substr(authority, path - authority), '@')) std::abort();
  size_t q = redacted.find('?');
  if (q != std::string::npos && redacted.substr(q) != "?<redacted>") std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  Check(hallmark::net::Url::Parse(input));
  // The same bytes as a Location header relative to a registry URL.
  static const auto* base = new auto(hallmark::net::Url::Parse("https://r.example/v2/app/blobs/x"));
  if (!base->ok()) std::abort();
  Check((*base)->Resolve(input));
  return 0;
}
