// File: net/http_client.h
//
// HttpClient: the one way Hallmark talks HTTP (STYLE.md rule 8: network only through injected
// clients). The OCI registry client and the Kubernetes client both take an `HttpClient&`; the
// production implementation is CurlHttpClient (net/curl_http_client.h), tests use
// FakeHttpClient (net/testing/fake_http_client.h) or a real local server.
//
// Contract shared by every implementation:
//  - The HTTP status is data, not an error: a 404 or 503 comes back as an OK StatusOr holding the
//    response. A non-OK status means no complete response was received (transport failure,
//    deadline, size limit, cancellation, invalid request). HttpStatusToStatus() turns a response
//    into a Status for callers that want one.
//  - Redirects are NOT followed: a 3xx is returned like any other response. Use
//    DoFollowingRedirects (net/redirect.h), which caps hops and drops credentials across origins.
//  - Bodies are never decompressed (no Accept-Encoding is sent): what the server sent is what
//    the caller hashes, and a gzip bomb cannot expand.
//  - Error messages name the method and the REDACTED URL (no userinfo, no query) and never a
//    header or a token.
//
//   HttpRequest req;
//   req.method = Method::kGet;
//   req.url = "https://registry.example/v2/app/manifests/v1";
//   req.headers.Add("Accept", "application/vnd.oci.image.manifest.v1+json");
//   req.authorization = SecretData("Bearer " + token);   // never in `headers`
//   req.max_response_bytes = 4 << 20;
//   HM_ASSIGN_OR_RETURN(HttpResponse resp, client.Do(req));
//   if (resp.status == 404) ...
#ifndef HALLMARK_NET_HTTP_CLIENT_H_
#define HALLMARK_NET_HTTP_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "base/secret_data.h"
#include "net/headers.h"

namespace hallmark::net {

enum class Method { kGet, kHead, kPut, kPost, kPatch, kDelete };

// MethodName: "GET", "HEAD", ...
absl::string_view MethodName(Method method);

// Default limits (DESIGN.md: manifests <= 4 MiB, attachments <= 128 MiB).
inline constexpr size_t kDefaultMaxResponseBytes = 4 << 20;
inline constexpr size_t kMaxBlobBytes = 128 << 20;
inline constexpr absl::Duration kDefaultTimeout = absl::Seconds(30);

struct HttpRequest {
  Method method = Method::kGet;
  // Absolute http:// or https:// URL.
  std::string url;
  // Request headers. Must not contain Authorization (use `authorization`), Host, Content-Length,
  // Transfer-Encoding, Connection or Expect: the client owns those.
  Headers headers;
  // The whole Authorization header value ("Bearer <token>", "Basic <b64>"); empty: none. Kept in
  // wiping memory, never logged, and dropped by DoFollowingRedirects when the origin changes.
  SecretData authorization;
  // BORROWED request body: the bytes must stay alive and unchanged until Do/Stream returns. Sent
  // without a copy (blob uploads are up to 128 MiB). Allowed for POST, PUT, PATCH and DELETE
  // only; a POST/PUT/PATCH with an empty body sends `Content-Length: 0`.
  absl::string_view body;
  // Total deadline for the whole exchange (connect, send, receive). Must be finite and > 0.
  absl::Duration timeout = kDefaultTimeout;
  // Abort when no byte has been sent or received for this long (slowloris, stalled watches).
  // Checked about once per second, so sub-second values act as ~1 s. Infinite: off.
  absl::Duration idle_timeout = absl::InfiniteDuration();
  // Do: the most body bytes accepted; the transfer is aborted as soon as the limit is passed
  // (or before it starts when Content-Length says so). Stream: the limit for the buffered body of
  // a non-2xx response; a 2xx stream has no limit (the callback decides when to stop).
  size_t max_response_bytes = kDefaultMaxResponseBytes;
  // Optional: when notified (from any thread) the transfer is aborted within about a second and
  // the call returns kCancelled. Must outlive the call.
  const absl::Notification* cancel = nullptr;
};

struct HttpResponse {
  int status = 0;  // 200, 404, ...
  // Headers of the final response (interim 1xx responses are discarded).
  Headers headers;
  // The body (Do), or for Stream the body of a non-2xx response only.
  std::string body;
  // The URL that was requested (an implementation never follows redirects itself).
  std::string url;

  bool ok() const { return status >= 200 && status < 300; }
};

// BodyCallback: receives body bytes as they arrive, in order; the view is valid only during the
// call. Return false to stop the transfer: Stream then returns the response (headers, status) as
// a success.
using BodyCallback = absl::FunctionRef<bool(absl::string_view chunk)>;

// Counters for benchmarks and tests (monotonic over the client's life).
struct HttpClientStats {
  uint64_t requests = 0;         // transfers attempted (one per Do/Stream call that was sent)
  uint64_t new_connections = 0;  // TCP connections opened (not reused) by those transfers
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;

  // Do sends `request` and buffers the whole response body (bounded by max_response_bytes).
  // Errors: kInvalidArgument (request fails ValidateRequest, or curl rejects the URL);
  // kUnavailable (connect refused, DNS failure, reset, TLS handshake failure: retryable);
  // kDeadlineExceeded (timeout or idle_timeout passed: retryable); kFailedPrecondition (response
  // larger than max_response_bytes, oversized headers, TLS peer verification failed, bad CA or
  // client certificate: retrying will not help); kCancelled (request.cancel notified).
  // Thread-safe: concurrent calls use separate connections.
  virtual absl::StatusOr<HttpResponse> Do(const HttpRequest& request) = 0;

  // Stream sends `request`; for a 2xx response, body bytes go to `on_body` as they arrive
  // (chunked `?watch=1` streams) and HttpResponse::body stays empty; for any other status the
  // body is buffered into HttpResponse::body as with Do, so API errors read the same way.
  // Returns when the server ends the body, `on_body` returns false (success), or on the errors
  // of Do. A watch should set a long `timeout` (the total budget) and a shorter `idle_timeout`.
  virtual absl::StatusOr<HttpResponse> Stream(const HttpRequest& request, BodyCallback on_body) = 0;

  virtual HttpClientStats Stats() const = 0;
};

// ValidateRequest: the checks every implementation applies before sending (kInvalidArgument):
// http(s) URL, finite positive timeout, body only on POST/PUT/PATCH/DELETE, header names are
// RFC 9110 tokens, no CR/LF/NUL in values or in `authorization`, no client-owned header names.
absl::Status ValidateRequest(const HttpRequest& request);

// HttpStatusToStatus: OK for 2xx; otherwise an error whose code carries the retry decision and
// whose message is "<context>: HTTP <code> from <redacted url>: <start of body>":
//   408, 429, 500, 502, 503, 504 and other 5xx  -> kUnavailable (retry with backoff)
//   400, 422                    -> kInvalidArgument
//   401 -> kUnauthenticated, 403 -> kPermissionDenied, 404 -> kNotFound, 409 -> kAborted,
//   501 -> kUnimplemented, any other status (3xx, 4xx) -> kFailedPrecondition.
// The body excerpt is at most 256 bytes, C-escaped.
absl::Status HttpStatusToStatus(const HttpResponse& response, absl::string_view context);

}  // namespace hallmark::net

#endif  // HALLMARK_NET_HTTP_CLIENT_H_
