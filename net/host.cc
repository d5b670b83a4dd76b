#include "net/host.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"

namespace hallmark::net {
namespace {

// ParseV4/ParseV6 accept only the canonical textual forms inet_pton knows: no `127.1`, no octal.
bool ParseV4(absl::string_view s, in_addr* out) {
  if (s.empty() || s.size() > 15) return false;
  return inet_pton(AF_INET, std::string(s).c_str(), out) == 1;
}

bool ParseV6(absl::string_view s, in6_addr* out) {
  if (s.empty() || s.size() > 45) return false;
  return inet_pton(AF_INET6, std::string(s).c_str(), out) == 1;
}

bool IsV4Mapped(const in6_addr& a) {
  static const uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a.s6_addr, kPrefix, sizeof(kPrefix)) == 0;
}

}  // namespace

absl::string_view StripPort(absl::string_view host) {
  if (absl::StartsWith(host, "[")) {
    size_t close = host.find(']');
    if (close == absl::string_view::npos) return host;
    return host.substr(1, close - 1);
  }
  size_t colon = host.find(':');
  // More than one colon: an unbracketed IPv6 address, which has no port.
  if (colon == absl::string_view::npos || host.find(':', colon + 1) != absl::string_view::npos) {
    return host;
  }
  return host.substr(0, colon);
}

bool IsLoopbackHost(absl::string_view host) {
  absl::string_view h = StripPort(host);
  if (absl::EqualsIgnoreCase(h, "localhost")) return true;
  in_addr v4;
  if (ParseV4(h, &v4)) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6;
  if (ParseV6(h, &v6)) {
    if (IsV4Mapped(v6)) return v6.s6_addr[12] == 127;
    return IN6_IS_ADDR_LOOPBACK(&v6);
  }
  return false;
}

bool IsLinkLocalHost(absl::string_view host) {
  absl::string_view h = StripPort(host);
  in_addr v4;
  if (ParseV4(h, &v4)) return (ntohl(v4.s_addr) >> 16) == 0xa9fe;
  in6_addr v6;
  if (ParseV6(h, &v6)) {
    if (IsV4Mapped(v6)) return v6.s6_addr[12] == 169 && v6.s6_addr[13] == 254;
    return IN6_IS_ADDR_LINKLOCAL(&v6);
  }
  return false;
}

}  // namespace hallmark::net
