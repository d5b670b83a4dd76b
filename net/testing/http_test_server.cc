#include "net/testing/http_test_server.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace hallmark::net::testing {

absl::StatusOr<std::unique_ptr<HttpTestServer>> HttpTestServer::Start(
    std::unique_ptr<httplib::Server> server, bool https) {
  if (!server->is_valid()) return absl::InternalError("httplib server is not valid");
  server->set_keep_alive_max_count(100000);
  server->set_keep_alive_timeout(1);
  server->set_tcp_nodelay(true);  // else Nagle + delayed ACK add 40 ms per response
  httplib::Server* raw = server.get();
  absl::StatusOr<std::unique_ptr<HttpServerThread>> serving =
      HttpServerThread::Start(std::move(server), "127.0.0.1", 0);
  if (!serving.ok()) return absl::InternalError(serving.status().message());
  return std::unique_ptr<HttpTestServer>(new HttpTestServer(*std::move(serving), raw, https));
}

HttpTestServer::~HttpTestServer() { Stop(); }

void HttpTestServer::Stop() { serving_->Stop(); }

int HttpTestServer::port() const { return serving_->port(); }

std::string HttpTestServer::Url(absl::string_view path) const {
  return absl::StrCat(https_ ? "https" : "http", "://127.0.0.1:", port(), path);
}

std::string HttpTestServer::LocalhostUrl(absl::string_view path) const {
  return absl::StrCat(https_ ? "https" : "http", "://localhost:", port(), path);
}

}  // namespace hallmark::net::testing
