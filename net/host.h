// File: net/host.h
//
// Pure string helpers about hosts, shared by the HTTP layer (which must never send loopback
// traffic through a proxy) and image references (loopback registries are plain HTTP by default,
// as in go-containerregistry). No I/O, no DNS: a name is judged by its spelling only.
#ifndef HALLMARK_NET_HOST_H_
#define HALLMARK_NET_HOST_H_

#include "absl/strings/string_view.h"

namespace hallmark::net {

// IsLoopbackHost: true for `localhost` (any case), a dotted-quad IPv4 address in 127.0.0.0/8, and
// the IPv6 loopback `::1` (also written in full, or IPv4-mapped `::ffff:127.x.y.z`). `host` may
// be bracketed (`[::1]`) and may carry a port (`localhost:5000`, `[::1]:443`). Names that merely
// resolve to loopback (`foo.localhost`, /etc/hosts entries) are NOT loopback here.
bool IsLoopbackHost(absl::string_view host);

// IsLinkLocalHost: true for IPv4 169.254.0.0/16 (cloud metadata endpoints live there) and IPv6
// fe80::/10, with the same spelling rules as IsLoopbackHost. Callers use it to refuse SSRF
// targets; a name that resolves there is not detected.
bool IsLinkLocalHost(absl::string_view host);

// StripPort: `host:port` -> `host`, `[v6]:port` -> `v6`, `[v6]` -> `v6`, anything else unchanged.
absl::string_view StripPort(absl::string_view host);

}  // namespace hallmark::net

#endif  // HALLMARK_NET_HOST_H_
