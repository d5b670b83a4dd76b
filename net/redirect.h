// File: net/redirect.h
//
// DoFollowingRedirects: the ONLY place Hallmark follows HTTP redirects (HttpClient never does).
// Registries redirect blob GETs to storage (S3, GCS, a CDN) with presigned URLs; a hostile or
// compromised registry could use redirects to loop, to pull credentials to another host, or to
// point us at internal services. So:
//  - at most `max_redirects` hops (DESIGN.md: 5); one more 3xx -> kFailedPrecondition;
//  - a URL seen before in this chain (a loop) -> kFailedPrecondition at once;
//  - `authorization` is dropped as soon as the origin (scheme, host, port) differs from the
//    ORIGINAL request's, and is not restored if a later hop comes back;
//  - https -> http downgrades are refused (kFailedPrecondition) unless the target is loopback;
//  - only http(s) Location targets; a 3xx without Location is returned as the response;
//  - 301/302/303 turn a non-GET/HEAD request into a GET without body (as browsers and curl do);
//    307/308 repeat the method and body;
//  - `request.timeout` is the budget for the whole chain: each hop gets what is left.
// The returned response's `url` is the URL that finally answered.
#ifndef HALLMARK_NET_REDIRECT_H_
#define HALLMARK_NET_REDIRECT_H_

#include "absl/status/statusor.h"
#include "base/clock.h"
#include "net/http_client.h"

namespace hallmark::net {

inline constexpr int kMaxRedirects = 5;

struct RedirectOptions {
  int max_redirects = kMaxRedirects;
  // Time source for the chain's budget (not owned; must outlive the call).
  Clock* clock = Clock::RealClock();
};

// Errors: those of client.Do, plus kFailedPrecondition (too many redirects, loop, downgrade,
// unresolvable Location) and kDeadlineExceeded (budget spent between hops).
absl::StatusOr<HttpResponse> DoFollowingRedirects(HttpClient& client, const HttpRequest& request,
                                                  const RedirectOptions& options = {});

// IsRedirectStatus: 301, 302, 303, 307 or 308.
bool IsRedirectStatus(int status);

}  // namespace hallmark::net

#endif  // HALLMARK_NET_REDIRECT_H_
