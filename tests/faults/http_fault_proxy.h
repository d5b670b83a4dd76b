// File: tests/faults/http_fault_proxy.h
//
// HttpFaultProxy: an HTTP/1.1 reverse proxy on 127.0.0.1 in front of a real server (the
// docker-registry), which a test tells to misbehave in the ways registries do:
//   - answer matching requests itself with a status (500, 503, 429 with Retry-After) and a
//     registry-style JSON error, without forwarding them;
//   - delay them before forwarding (a slow registry), or forward them and delay the response
//     (the registry did the work, the client may time out: the case that tests idempotency);
//   - forward the request head and half of its body, then reset both connections (RST): a
//     connection cut in the middle of an upload; or forward it whole and reset the client
//     instead of relaying the response (the write happened, the client does not know);
//   - go down (the port refuses connections, open connections are cut) and come back up on the
//     same port; or black-hole: accept connections and never answer.
// It records every request as it arrives (method, path; then the status the client got, and
// whether the proxy injected it), so a test can count what reached the registry.
//
//   ASSERT_OK_AND_ASSIGN(auto proxy, HttpFaultProxy::Start(registry->port()));
//   proxy->AddRule({.method = "PUT", .path = ".*/manifests/sha256-.*", .status = 500, .count = 3});
//   std::string image = proxy->host() + "/team/app@sha256:...";  // through the proxy
//   ... EXPECT_EQ(proxy->Count("PUT", ".*/manifests/.*"), 4);
//
// Every forwarded request gets its own upstream connection (`Connection: close` upstream); the
// client side keeps its connection alive when the response has a known length. Request heads are
// limited to 64 KiB. Thread-safe: rules may change while requests are in flight.
#ifndef HALLMARK_TESTS_FAULTS_HTTP_FAULT_PROXY_H_
#define HALLMARK_TESTS_FAULTS_HTTP_FAULT_PROXY_H_

#include <atomic>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace hallmark::tests::faults {

struct FaultRule {
  enum class Action {
    kStatus,         // answer with `status` (and Retry-After when retry_after >= 0)
    kDelay,          // wait `delay`, then forward
    kDelayResponse,  // forward, wait `delay`, then relay the response
    kResetMidBody,   // forward the head and half the body, then RST both connections
    kDropResponse,   // forward, read the response, then RST the client without relaying it:
                     // the registry did the work, the client never hears of it
  };
  std::string method;  // "" = any
  std::string path;    // ECMAScript regex over the whole path (no query); "" = any
  Action action = Action::kStatus;
  int status = 500;
  int retry_after = -1;  // seconds; < 0: no header
  absl::Duration delay = absl::ZeroDuration();
  int count = 1;  // matching requests it applies to; < 0: all
};

struct SeenRequest {
  std::string method;
  std::string path;  // with the query
  int status = 0;    // what the client got (0: none yet, or the connection was cut)
  bool injected = false;
  absl::Time at;
};

class HttpFaultProxy {
 public:
  // Start: listens on a free loopback port and forwards to 127.0.0.1:<upstream_port>.
  static absl::StatusOr<std::unique_ptr<HttpFaultProxy>> Start(int upstream_port);
  ~HttpFaultProxy();
  HttpFaultProxy(const HttpFaultProxy&) = delete;
  HttpFaultProxy& operator=(const HttpFaultProxy&) = delete;

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }

  // AddRule: rules are tried in order; the first that matches and has requests left acts (and
  // uses one up). kInvalidArgument for a bad regex.
  absl::Status AddRule(FaultRule rule);
  void ClearRules();

  // Down: close the port (connections refused) and cut every open connection. Up: listen again
  // on the same port. BlackHole(true): accept connections but never read or answer them.
  void Down();
  absl::Status Up();
  void BlackHole(bool on);

  std::vector<SeenRequest> Requests() const;
  // Count: requests seen whose method equals `method` ("" any) and whose path (query removed)
  // matches `path_regex` ("" any).
  int Count(const std::string& method = "", const std::string& path_regex = "") const;
  int Injected() const;
  void ClearRequests();

 private:
  struct CompiledRule {
    FaultRule rule;
    std::regex regex;
  };
  HttpFaultProxy() = default;
  absl::Status Listen();
  void AcceptLoop(int listen_fd);
  void Serve(int client_fd);
  // Take: the action for a request, consuming one use of the first matching rule.
  bool Take(const std::string& method, const std::string& path, FaultRule* out);
  // Record: a request as it arrives (its index); Finish: what the client got.
  size_t Record(SeenRequest seen);
  void Finish(size_t index, int status, bool injected);
  void Track(int fd);
  void Untrack(int fd);

  int upstream_port_ = 0;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> black_hole_{false};
  mutable absl::Mutex mu_;
  int listen_fd_ ABSL_GUARDED_BY(mu_) = -1;
  std::thread accept_thread_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  std::vector<int> open_fds_ ABSL_GUARDED_BY(mu_);
  std::vector<CompiledRule> rules_ ABSL_GUARDED_BY(mu_);
  std::vector<SeenRequest> seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::tests::faults

#endif  // HALLMARK_TESTS_FAULTS_HTTP_FAULT_PROXY_H_
