// File: base/http_server_thread.h
//
// HttpServerThread: serves a cpp-httplib server (httplib::Server or SSLServer, routes set) on a
// thread of its own, the way all our servers run (hallmark-apiserver, the webhook, the agent's
// metrics/health endpoint). Two things httplib 0.11 (Debian 12) gets wrong for us are fixed here,
// in one place:
//   - The listen backlog. Debian's libcpp-httplib is compiled with CPPHTTPLIB_LISTEN_BACKLOG 5: a
//     burst of new connections (API server replicas, a client opening its pool) overflows it and
//     the dropped SYNs are retried only after a second. The socket listens with kListenBacklog.
//     It also gets SO_REUSEADDR instead of httplib's default SO_REUSEPORT, with which a second
//     process could bind the same port silently and take part of the connections.
//   - Stopping. httplib's stop() closes the listener and joins its workers, and a worker holding
//     an idle keep-alive connection notices only when the keep-alive timeout (5 s by default,
//     30 s in the webhook) runs out; kube-apiserver, kubectl and libcurl all keep such
//     connections open. Stop() lets requests in flight finish (up to `stop_grace`), then shuts
//     the remaining connections down (base/server_sockets.h) so their workers end at once.
//
//   auto server = std::make_unique<httplib::Server>();
//   server->Get("/healthz", ...);                         // routes and timeouts first
//   HM_ASSIGN_OR_RETURN(std::unique_ptr<HttpServerThread> serving,
//                       HttpServerThread::Start(std::move(server), "127.0.0.1", 0));
//   ... serving->port() ...
//   serving->Stop();                                      // or let it go out of scope
#ifndef HALLMARK_BASE_HTTP_SERVER_THREAD_H_
#define HALLMARK_BASE_HTTP_SERVER_THREAD_H_

#include <memory>
#include <set>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace httplib {
class Server;
struct Request;
}  // namespace httplib

namespace hallmark {

inline constexpr int kListenBacklog = 1024;

// ParseListenAddress: a server's listen flag: "HOST:PORT", "[IPv6]:PORT" or ":PORT" (host
// "0.0.0.0"); port 0..65535 (0: pick a free one). kInvalidArgument naming the text otherwise.
absl::Status ParseListenAddress(absl::string_view text, std::string* host, int* port);

struct HttpServerThreadOptions {
  // How long Stop() waits for requests in flight before it closes their connections (their
  // responses are then lost). Idle connections are closed at once whatever this is.
  absl::Duration stop_grace = absl::Seconds(1);
};

class HttpServerThread {
 public:
  // Start: binds `host`:`port` ("" means 0.0.0.0; port 0 picks a free one) and serves `server`
  // on a new thread; returns once it accepts connections. kUnavailable "cannot listen on
  // HOST:PORT" if the address cannot be bound (taken, not local), or if serving does not start
  // within 10 s. Takes `server` over: configure it fully before. Start installs its socket
  // options, pre-routing handler and logger (to count requests in flight): set none of these.
  static absl::StatusOr<std::unique_ptr<HttpServerThread>> Start(
      std::unique_ptr<httplib::Server> server, const std::string& host, int port,
      HttpServerThreadOptions options = {});
  ~HttpServerThread();  // Stop()
  HttpServerThread(const HttpServerThread&) = delete;
  HttpServerThread& operator=(const HttpServerThread&) = delete;

  // Stop: stops accepting, waits while requests are in flight (at most stop_grace), shuts down
  // the connections still open, and joins the serving threads. Idempotent and thread-safe (a
  // concurrent call returns when the first is done). Must not be called from a handler.
  void Stop();

  int port() const { return port_; }
  // RequestsInFlight: requests routed whose response is not written yet.
  int RequestsInFlight() const;

 private:
  HttpServerThread(std::unique_ptr<httplib::Server> server, HttpServerThreadOptions options);
  bool Drained() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::unique_ptr<httplib::Server> server_;
  const HttpServerThreadOptions options_;
  int port_ = 0;
  std::thread thread_;

  mutable absl::Mutex mu_;
  std::set<const httplib::Request*> in_flight_ ABSL_GUARDED_BY(mu_);
  bool listener_done_ ABSL_GUARDED_BY(mu_) = false;

  absl::Mutex stop_mu_;
  bool stopped_ ABSL_GUARDED_BY(stop_mu_) = false;
};

}  // namespace hallmark

#endif  // HALLMARK_BASE_HTTP_SERVER_THREAD_H_
