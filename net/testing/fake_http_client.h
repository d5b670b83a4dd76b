// File: net/testing/fake_http_client.h
//
// FakeHttpClient: a working in-memory HttpClient for unit tests of the registry and Kubernetes
// clients. Requests are routed to handlers by method and URL; every request is recorded. It
// applies the same rules as CurlHttpClient where a consumer could notice the difference:
// ValidateRequest, max_response_bytes (kFailedPrecondition), no redirect following, and
// Stream delivering a 2xx body to the callback in chunks (stoppable) while buffering others.
//
//   FakeHttpClient fake;
//   fake.On(Method::kGet, "https://r.example/v2/", FakeHttpClient::Reply(200));
//   fake.On(Method::kGet, "https://r.example/v2/app/manifests/*",
//           [](const HttpRequest& r) { return FakeHttpClient::Reply(404); });
//   RegistryClient client(fake, ...);
//   EXPECT_EQ(fake.requests().size(), 2);
//
// Thread-safe. Handlers run outside the fake's lock (they may call the fake).
#ifndef HALLMARK_NET_TESTING_FAKE_HTTP_CLIENT_H_
#define HALLMARK_NET_TESTING_FAKE_HTTP_CLIENT_H_

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "net/http_client.h"

namespace hallmark::net::testing {

class FakeHttpClient final : public HttpClient {
 public:
  using Handler = std::function<absl::StatusOr<HttpResponse>(const HttpRequest&)>;

  // A copy of what was sent (the body is copied, the authorization kept as SecretData).
  struct RecordedRequest {
    Method method;
    std::string url;
    Headers headers;
    SecretData authorization;
    std::string body;
  };

  FakeHttpClient() = default;

  // On routes requests with `method` and URL `pattern` to `handler`. A pattern ending in `*`
  // matches every URL with the text before the `*` as prefix; otherwise the URL must be equal
  // (query included). The FIRST matching route wins. Unrouted requests get kUnimplemented
  // ("FakeHttpClient: no route for GET <url>") so a missing route fails loudly.
  void On(Method method, std::string pattern, Handler handler);
  // OnAny: the handler for requests no route matches (replaces the kUnimplemented default).
  void OnAny(Handler handler);

  // Reply: a handler answering with a fixed response.
  static Handler Reply(int status, std::string body = "", Headers headers = {});

  // Chunk size for Stream deliveries (default 7 bytes, so consumers must handle split lines).
  void set_stream_chunk_size(size_t n);

  std::vector<RecordedRequest> requests() const;
  void ClearRequests();

  absl::StatusOr<HttpResponse> Do(const HttpRequest& request) override;
  absl::StatusOr<HttpResponse> Stream(const HttpRequest& request, BodyCallback on_body) override;
  HttpClientStats Stats() const override;

 private:
  struct Route {
    Method method;
    std::string pattern;
    Handler handler;
  };
  absl::StatusOr<HttpResponse> Dispatch(const HttpRequest& request);

  mutable absl::Mutex mu_;
  std::vector<Route> routes_ ABSL_GUARDED_BY(mu_);
  Handler fallback_ ABSL_GUARDED_BY(mu_);
  std::vector<RecordedRequest> requests_ ABSL_GUARDED_BY(mu_);
  size_t chunk_size_ ABSL_GUARDED_BY(mu_) = 7;
  uint64_t request_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace hallmark::net::testing

#endif  // HALLMARK_NET_TESTING_FAKE_HTTP_CLIENT_H_
