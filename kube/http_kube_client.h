// File: kube/http_kube_client.h
//
// HttpKubeClient: KubeClient over net::HttpClient (CurlHttpClient in production).
//
// Every request, including watch starts and retries:
//  1. waits for the client's token bucket (kube/rate_limiter.h; QPS 50, burst 100 by default);
//  2. carries `Authorization: Bearer <token>` from the TokenSource when a token is configured;
//     on a 401 a file-backed token is re-read and the request sent once more;
//  3. is retried, with full-jitter exponential backoff, on 429 and 5xx answers (waiting at
//     least the Retry-After they carry) and, for GET, PUT, DELETE and merge patches only, on
//     transport failures; POST and JSON patches are not repeated after a transport failure
//     because they may have been applied. Watches are not retried here (the informer's loop
//     owns that decision).
//
// Bearer tokens over plain HTTP: like client-go we refuse to leak them, but loudly: New fails
// (kFailedPrecondition) for an http:// server that is not loopback (localhost, 127.0.0.0/8,
// ::1) when a token is configured. Loopback http:// is allowed for local test servers.
//
// Thread-safe. The HttpClient passed to NewWithHttpClient, and the clock, must outlive it.
#ifndef HALLMARK_KUBE_HTTP_KUBE_CLIENT_H_
#define HALLMARK_KUBE_HTTP_KUBE_CLIENT_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "kube/config.h"
#include "kube/kube_client.h"
#include "kube/rate_limiter.h"
#include "kube/token_source.h"
#include "net/http_client.h"
#include "net/retry.h"

namespace hallmark::kube {

struct ClientOptions {
  double qps = kDefaultQps;
  int burst = kDefaultBurst;
  std::string user_agent = "hallmark";
  // Deadline of one non-watch request (each attempt).
  absl::Duration request_timeout = absl::Seconds(30);
  // Largest response body accepted (a list page of 500 runs can be tens of MiB).
  size_t max_response_bytes = 64 << 20;
  size_t max_watch_line_bytes = kDefaultMaxWatchLineBytes;
  // A watch stream silent for this long is aborted (kDeadlineExceeded); infinite: never.
  absl::Duration watch_idle_timeout = absl::InfiniteDuration();
  // Retries (see the file comment). max_attempts 1 turns them off.
  net::RetryPolicy retry = DefaultRetryPolicy();
  absl::Duration token_refresh_period = kTokenRefreshPeriod;
  // Time for the limiter, retry sleeps and token refresh; nullptr: Clock::RealClock().
  Clock* clock = nullptr;

  static net::RetryPolicy DefaultRetryPolicy() {
    net::RetryPolicy p;
    p.max_attempts = 10;  // client-go retries a 429 up to 10 times
    p.initial_backoff = absl::Milliseconds(200);
    p.max_backoff = absl::Seconds(30);
    p.total_budget = absl::Minutes(2);
    return p;
  }
};

// Counters (monotonic) for tests and benchmarks: the agent promises <= 2 API calls per run.
struct KubeClientStats {
  uint64_t requests = 0;              // HTTP exchanges attempted
  uint64_t retries = 0;               // of which repeats after 429/5xx/transport errors
  uint64_t unauthorized_retries = 0;  // repeats after a 401 with a re-read token
  absl::Duration throttled;           // total time spent waiting for the rate limiter
};

class HttpKubeClient final : public KubeClient {
 public:
  // New builds its own CurlHttpClient from config's TLS, client certificate and proxy fields.
  // kInvalidArgument for bad options or PEM, kFailedPrecondition for a bearer token over
  // non-loopback http://, the errors of TokenSource::FromFile for an unreadable token file.
  static absl::StatusOr<std::unique_ptr<HttpKubeClient>> New(const Config& config,
                                                             const ClientOptions& options = {});
  // NewWithHttpClient: the same over a BORROWED client (tests: FakeHttpClient). The TLS fields
  // of `config` are ignored (they belong to `http`).
  static absl::StatusOr<std::unique_ptr<HttpKubeClient>> NewWithHttpClient(
      const Config& config, net::HttpClient& http, const ClientOptions& options = {});

  ~HttpKubeClient() override;

  absl::StatusOr<nlohmann::json> Get(const Resource& resource, absl::string_view ns,
                                     absl::string_view name) override;
  absl::StatusOr<ObjectList> List(const Resource& resource, absl::string_view ns,
                                  const ListOptions& options) override;
  absl::Status Watch(const Resource& resource, absl::string_view ns, const WatchOptions& options,
                     EventCallback on_event) override;
  absl::StatusOr<nlohmann::json> Create(const Resource& resource, absl::string_view ns,
                                        const nlohmann::json& object,
                                        const WriteOptions& options = {}) override;
  absl::StatusOr<nlohmann::json> Update(const Resource& resource, absl::string_view ns,
                                        const nlohmann::json& object,
                                        const WriteOptions& options = {}) override;
  absl::StatusOr<nlohmann::json> Patch(const Resource& resource, absl::string_view ns,
                                       absl::string_view name, PatchType type,
                                       absl::string_view patch,
                                       const PatchOptions& options = {}) override;
  absl::Status Delete(const Resource& resource, absl::string_view ns, absl::string_view name,
                      const DeleteOptions& options = {}) override;

  KubeClientStats Stats() const;
  const std::string& server() const { return server_; }
  const std::string& default_namespace() const { return default_namespace_; }

 private:
  struct Call;

  HttpKubeClient(std::string server, std::string default_namespace, net::HttpClient& http,
                 std::unique_ptr<net::HttpClient> owned, const ClientOptions& options,
                 Clock& clock);
  absl::StatusOr<net::HttpResponse> Send(const Call& call, net::BodyCallback* on_body);
  absl::StatusOr<nlohmann::json> SendForObject(const Call& call);
  void Sleep(absl::Duration d, const absl::Notification* cancel);

  const std::string server_;
  const std::string default_namespace_;
  std::unique_ptr<net::HttpClient> owned_http_;
  net::HttpClient& http_;
  const ClientOptions options_;
  Clock& clock_;
  std::unique_ptr<RateLimiter> limiter_;
  std::unique_ptr<TokenSource> token_;  // null: no bearer token

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> unauthorized_retries_{0};
  std::atomic<int64_t> throttled_ns_{0};
};

}  // namespace hallmark::kube

#endif  // HALLMARK_KUBE_HTTP_KUBE_CLIENT_H_
