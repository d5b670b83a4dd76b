// File: tests/e2e/tcp_proxy.h
//
// TcpProxy: a loopback TCP forwarder that a test can take down and bring back on the same port,
// to make a real server (the docker-registry) unreachable for a while: while down, the port is
// closed (connections are refused at once, as for a registry that is not running) and every
// forwarded connection is cut.
#ifndef HALLMARK_TESTS_E2E_TCP_PROXY_H_
#define HALLMARK_TESTS_E2E_TCP_PROXY_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace hallmark::tests::e2e {

class TcpProxy {
 public:
  // Start: forwards 127.0.0.1:<port()> to 127.0.0.1:<target_port>; up.
  static absl::StatusOr<std::unique_ptr<TcpProxy>> Start(int target_port);
  ~TcpProxy();

  int port() const { return port_; }
  std::string host() const { return "127.0.0.1:" + std::to_string(port_); }
  // Down: close the port and cut open connections. Up: listen again on the same port.
  void Down();
  absl::Status Up();

 private:
  TcpProxy() = default;
  absl::Status Listen();
  void AcceptLoop(int listen_fd);
  void Pump(int from, int to);

  int target_port_ = 0;
  int port_ = 0;
  absl::Mutex mu_;
  int listen_fd_ ABSL_GUARDED_BY(mu_) = -1;
  std::vector<int> connections_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_ ABSL_GUARDED_BY(mu_);
  std::atomic<bool> stopping_{false};
};

}  // namespace hallmark::tests::e2e

#endif  // HALLMARK_TESTS_E2E_TCP_PROXY_H_
