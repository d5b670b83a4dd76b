#include "net/testing/http_test_server.h"

#include <chrono>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hallmark::net::testing {

absl::StatusOr<std::unique_ptr<HttpTestServer>> HttpTestServer::Start(
    std::unique_ptr<httplib::Server> server, bool https) {
  if (!server->is_valid()) return absl::InternalError("httplib server is not valid");
  server->set_keep_alive_max_count(100000);
  server->set_keep_alive_timeout(1);
  server->set_tcp_nodelay(true);  // else Nagle + delayed ACK add 40 ms per response
  int port = server->bind_to_any_port("127.0.0.1");
  if (port <= 0) return absl::InternalError("httplib: cannot bind 127.0.0.1");
  std::unique_ptr<HttpTestServer> running(new HttpTestServer(std::move(server), port, https));
  httplib::Server* raw = running->server_.get();
  running->thread_ = std::thread([raw] { raw->listen_after_bind(); });
  for (int i = 0; i < 500 && !raw->is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (!raw->is_running()) return absl::InternalError("httplib server did not start");
  return running;
}

HttpTestServer::~HttpTestServer() { Stop(); }

void HttpTestServer::Stop() {
  if (thread_.joinable()) {
    server_->stop();
    thread_.join();
  }
}

std::string HttpTestServer::Url(absl::string_view path) const {
  return absl::StrCat(https_ ? "https" : "http", "://127.0.0.1:", port_, path);
}

std::string HttpTestServer::LocalhostUrl(absl::string_view path) const {
  return absl::StrCat(https_ ? "https" : "http", "://localhost:", port_, path);
}

}  // namespace hallmark::net::testing
