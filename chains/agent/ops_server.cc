#include "chains/agent/ops_server.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/http_server_thread.h"
#include "base/status_macros.h"
#include "httplib.h"

namespace hallmark::chains::agent {

absl::StatusOr<std::unique_ptr<OpsServer>> OpsServer::Start(absl::string_view address,
                                                            std::function<std::string()> metrics,
                                                            std::function<Readiness()> readiness) {
  std::unique_ptr<OpsServer> s(new OpsServer());
  int port = 0;
  HM_RETURN_IF_ERROR(ParseListenAddress(address, &s->host_, &port));
  auto server = std::make_unique<httplib::Server>();
  server->set_keep_alive_max_count(100);
  server->set_read_timeout(10, 0);
  server->set_write_timeout(10, 0);
  server->Get("/metrics", [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics(), "text/plain; version=0.0.4; charset=utf-8");
  });
  server->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server->Get("/readyz", [readiness](const httplib::Request&, httplib::Response& res) {
    Readiness r = readiness();
    res.status = r.ready ? 200 : 503;
    res.set_content(absl::StrCat(r.ready ? "ready: " : "not ready: ", r.detail, "\n"),
                    "text/plain");
  });
  // HttpServerThread binds with SO_REUSEADDR only (httplib's SO_REUSEPORT would let a second
  // agent bind the same port silently) and stops at once even while Prometheus keeps its
  // scrape connection open.
  absl::StatusOr<std::unique_ptr<HttpServerThread>> serving =
      HttpServerThread::Start(std::move(server), s->host_, port);
  if (!serving.ok()) {
    return absl::UnavailableError(absl::StrCat("metrics server: cannot listen on ", address));
  }
  s->serving_ = *std::move(serving);
  s->port_ = s->serving_->port();
  return s;
}

OpsServer::~OpsServer() { Stop(); }

void OpsServer::Stop() {
  if (serving_ != nullptr) serving_->Stop();
}

}  // namespace hallmark::chains::agent
