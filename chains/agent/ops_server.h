// File: chains/agent/ops_server.h
//
// OpsServer: the agent's operations endpoint (`--metrics-addr HOST:PORT`, cpp-httplib):
//   GET /metrics  Prometheus text exposition (chains/metrics/agent_metrics.h)
//   GET /healthz  200 "ok" while the process serves requests (liveness)
//   GET /readyz   200 with the state ("ready: leading", "ready: standby") once the agent's
//                 caches are synced, 503 with the reason before (readiness)
// Anything else is 404. Served on its own thread (base/http_server_thread.h); Stop() (or the destructor) ends it
// at once, idle keep-alive connections included.
#ifndef HALLMARK_CHAINS_AGENT_OPS_SERVER_H_
#define HALLMARK_CHAINS_AGENT_OPS_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hallmark {
class HttpServerThread;
}

namespace hallmark::chains::agent {

struct Readiness {
  bool ready = false;
  std::string detail;  // "leading", "standby", or why not ready
};

class OpsServer {
 public:
  // Start listens on `address` ("HOST:PORT", "[::1]:PORT" or ":PORT"; port 0 picks a free one).
  // kInvalidArgument for a malformed address, kUnavailable when it cannot bind.
  static absl::StatusOr<std::unique_ptr<OpsServer>> Start(absl::string_view address,
                                                          std::function<std::string()> metrics,
                                                          std::function<Readiness()> readiness);
  ~OpsServer();  // Stop()
  void Stop();
  int port() const { return port_; }
  const std::string& host() const { return host_; }

 private:
  OpsServer() = default;
  std::unique_ptr<HttpServerThread> serving_;
  std::string host_;
  int port_ = 0;
};

}  // namespace hallmark::chains::agent

#endif  // HALLMARK_CHAINS_AGENT_OPS_SERVER_H_
