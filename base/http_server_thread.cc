#include "base/http_server_thread.h"

#include <sys/socket.h>

#include <atomic>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/server_sockets.h"
#include "httplib.h"

namespace hallmark {

absl::Status ParseListenAddress(absl::string_view text, std::string* host, int* port) {
  auto malformed = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("listen address \"", text, "\": want HOST:PORT, [IPv6]:PORT or :PORT"));
  };
  absl::string_view h, p;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return malformed();
    }
    h = text.substr(1, close - 1);
    p = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == absl::string_view::npos) return malformed();
    h = text.substr(0, colon);
    p = text.substr(colon + 1);
  }
  int n = 0;
  if (!absl::SimpleAtoi(p, &n) || n < 0 || n > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("listen address \"", text, "\": bad port"));
  }
  *host = h.empty() ? "0.0.0.0" : std::string(h);
  *port = n;
  return absl::OkStatus();
}

HttpServerThread::HttpServerThread(std::unique_ptr<httplib::Server> server,
                                   HttpServerThreadOptions options)
    : server_(std::move(server)), options_(options) {}

absl::StatusOr<std::unique_ptr<HttpServerThread>> HttpServerThread::Start(
    std::unique_ptr<httplib::Server> server, const std::string& host, int port,
    HttpServerThreadOptions options) {
  std::unique_ptr<HttpServerThread> t(new HttpServerThread(std::move(server), options));
  httplib::Server& s = *t->server_;
  const std::string h = host.empty() ? "0.0.0.0" : host;

  // httplib calls this for each address it tries; the last one is the socket it bound.
  auto listener = std::make_shared<std::atomic<int>>(-1);
  s.set_socket_options([listener](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listener->store(sock);
  });
  HttpServerThread* self = t.get();
  s.set_pre_routing_handler([self](const httplib::Request& req, httplib::Response&) {
    absl::MutexLock lock(&self->mu_);
    self->in_flight_.insert(&req);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // The logger runs once the response is written (requests refused before routing, such as a
  // malformed request line, were never counted).
  s.set_logger([self](const httplib::Request& req, const httplib::Response&) {
    absl::MutexLock lock(&self->mu_);
    self->in_flight_.erase(&req);
  });

  int bound = port;
  if (port == 0) {
    bound = s.bind_to_any_port(h);
  } else if (!s.bind_to_port(h, port)) {
    bound = -1;
  }
  if (bound <= 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", h, ":", port));
  t->port_ = bound;
  // Listening again on the bound socket sets the new backlog (Linux keeps the socket).
  if (listener->load() >= 0) ::listen(listener->load(), kListenBacklog);

  t->thread_ = std::thread([self] {
    self->server_->listen_after_bind();
    absl::MutexLock lock(&self->mu_);
    self->listener_done_ = true;
  });
  // httplib's stop() only acts once the accept loop runs: wait for it, so a Stop() right after
  // Start() cannot be lost.
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!s.is_running() && absl::Now() < deadline) {
    {
      absl::MutexLock lock(&t->mu_);
      if (t->listener_done_) break;
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  if (!s.is_running()) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", h, ":", bound, ": the server did not start"));
  }
  return t;
}

HttpServerThread::~HttpServerThread() { Stop(); }

bool HttpServerThread::Drained() const { return listener_done_ || in_flight_.empty(); }

int HttpServerThread::RequestsInFlight() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(in_flight_.size());
}

void HttpServerThread::Stop() {
  absl::MutexLock stop_lock(&stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (!thread_.joinable()) return;
  server_->stop();
  bool done;
  {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(this, &HttpServerThread::Drained), options_.stop_grace);
    done = listener_done_;
  }
  // What is left are idle keep-alive connections (or requests past the grace): wake their
  // workers now instead of after the keep-alive timeout.
  if (!done) ShutdownServerConnections(port_);
  thread_.join();
}

}  // namespace hallmark
