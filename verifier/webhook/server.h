// File: verifier/webhook/server.h
//
// WebhookServer: the HTTPS listener (cpp-httplib with OpenSSL) in front of AdmissionHandler.
//   POST /mutate, /mutate/fail        mutating webhook (verify, pin digests, annotate)
//   POST /validate, /validate/fail    validating webhook (verifyDigest, required)
//   GET  /healthz                      200 while serving
//   GET  /readyz                       200 once policies are loaded (503 before)
//   GET  /metrics                      Prometheus text (also on the optional plain-HTTP
//                                      metrics listener)
// The serving certificate is re-read when its files change (cert-manager or gen-certs.sh
// rotating the Secret): every TLS handshake checks the files' identity (inode, size, mtime) and
// uses the newest pair that loads and matches; a broken pair keeps the previous one (logged).
// Stop() lets admissions in flight finish (up to 10 s, within deploy/webhook's 15 s grace
// period) and closes idle keep-alive connections at once (base/http_server_thread.h).
#ifndef HALLMARK_VERIFIER_WEBHOOK_SERVER_H_
#define HALLMARK_VERIFIER_WEBHOOK_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "verifier/webhook/handler.h"
#include "verifier/webhook/metrics.h"

namespace hallmark {
class HttpServerThread;
}

namespace hallmark::verifier::webhook {

struct ServerOptions {
  std::string host = "0.0.0.0";  // "" also means all addresses
  int port = 8443;               // 0: pick a free port
  std::string tls_cert_file;     // PEM certificate (chain), required
  std::string tls_key_file;      // PEM private key, required
  std::string metrics_host;      // metrics listener (plain HTTP); port < 0: none
  int metrics_port = -1;
  int threads = 32;  // connections served at once
};

class CertificateReloader;

class WebhookServer {
 public:
  // Start: loads and checks the certificate pair (kInvalidArgument naming the file), binds
  // (kUnavailable if the port is taken) and serves on background threads. `handler`, `metrics`
  // are borrowed; `ready` says whether /readyz is 200.
  static absl::StatusOr<std::unique_ptr<WebhookServer>> Start(ServerOptions options,
                                                              AdmissionHandler* handler,
                                                              Metrics* metrics,
                                                              std::function<bool()> ready);
  ~WebhookServer();

  int port() const { return port_; }
  int metrics_port() const { return metrics_port_; }
  // url: "https://<host>:<port>" (host 127.0.0.1 when listening on all addresses).
  std::string url() const;
  void Stop();

 private:
  WebhookServer() = default;
  ServerOptions options_;
  std::shared_ptr<CertificateReloader> certs_;
  std::unique_ptr<HttpServerThread> https_;
  std::unique_ptr<HttpServerThread> metrics_http_;
  int port_ = 0;
  int metrics_port_ = -1;
  std::atomic<bool> stopped_{false};
};

}  // namespace hallmark::verifier::webhook

#endif  // HALLMARK_VERIFIER_WEBHOOK_SERVER_H_
