// File: net/headers.h
//
// Headers: an ordered, multi-valued list of HTTP header fields whose names compare
// case-insensitively (RFC 9110 §5.1), as registries and the Kubernetes API use them:
// several `WWW-Authenticate` or `Link` fields, `Docker-Content-Digest` in any case.
//
//   Headers h;
//   h.Add("Accept", "application/vnd.oci.image.manifest.v1+json");
//   h.Add("accept", "application/vnd.docker.distribution.manifest.v2+json");
//   h.GetAll("ACCEPT");  // both values, in insertion order
//
// No validation happens here: HttpClient implementations refuse names that are not tokens and
// values with CR, LF or NUL (see ValidateRequest in net/http_client.h).
#ifndef HALLMARK_NET_HEADERS_H_
#define HALLMARK_NET_HEADERS_H_

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace hallmark::net {

class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;

  Headers() = default;
  Headers(std::initializer_list<Entry> entries) : entries_(entries) {}

  // Add appends a field (names keep the case they were given).
  void Add(absl::string_view name, absl::string_view value);
  // Set replaces every field called `name` by one with `value`.
  void Set(absl::string_view name, absl::string_view value);
  // Remove deletes every field called `name`.
  void Remove(absl::string_view name);

  // Get: the first value of `name`, nullopt when absent.
  std::optional<std::string> Get(absl::string_view name) const;
  // GetAll: every value of `name`, in order. A field received as one comma-joined line stays one
  // value (splitting is header-specific: `Link` and `WWW-Authenticate` quote commas).
  std::vector<std::string> GetAll(absl::string_view name) const;
  bool Has(absl::string_view name) const;

  const std::vector<Entry>& entries() const { return entries_; }
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  void clear() { entries_.clear(); }

 private:
  std::vector<Entry> entries_;
};

}  // namespace hallmark::net

#endif  // HALLMARK_NET_HEADERS_H_
