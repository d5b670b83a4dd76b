// File: net/testing/http_test_server.h
//
// HttpTestServer: a real cpp-httplib server (HTTP or HTTPS) on 127.0.0.1 with a kernel-chosen
// port, listening on its own thread, for tests of HTTP clients. Register handlers on the
// httplib::Server BEFORE Start (httplib's routing tables are not synchronised).
//
//   auto server = std::make_unique<httplib::Server>();
//   server->Get("/v2/", [](const httplib::Request&, httplib::Response& res) { res.status = 200; });
//   ASSERT_OK_AND_ASSIGN(auto running, HttpTestServer::Start(std::move(server)));
//   client.Do({.url = running->Url("/v2/")});
//
// The destructor stops the server and joins its thread (base/http_server_thread.h: requests in
// flight get a second, idle keep-alive connections are closed at once).
#ifndef HALLMARK_NET_TESTING_HTTP_TEST_SERVER_H_
#define HALLMARK_NET_TESTING_HTTP_TEST_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/http_server_thread.h"
#include "httplib.h"

namespace hallmark::net::testing {

class HttpTestServer {
 public:
  // Start binds 127.0.0.1:0 and serves `server` (an httplib::Server or SSLServer). kInternal if
  // it cannot bind or the SSL server is not valid (bad certificate files).
  static absl::StatusOr<std::unique_ptr<HttpTestServer>> Start(
      std::unique_ptr<httplib::Server> server, bool https = false);
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  int port() const;
  // Url: "http(s)://127.0.0.1:<port>" + path.
  std::string Url(absl::string_view path) const;
  // Origin with another spelling of the same host ("localhost"), for cross-host tests.
  std::string LocalhostUrl(absl::string_view path) const;
  httplib::Server& server() { return *server_; }  // owned by serving_
  void Stop();

 private:
  HttpTestServer(std::unique_ptr<HttpServerThread> serving, httplib::Server* server, bool https)
      : serving_(std::move(serving)), server_(server), https_(https) {}
  std::unique_ptr<HttpServerThread> serving_;
  httplib::Server* server_;
  bool https_;
};

}  // namespace hallmark::net::testing

#endif  // HALLMARK_NET_TESTING_HTTP_TEST_SERVER_H_
