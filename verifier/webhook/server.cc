#include "verifier/webhook/server.h"

#include <sys/stat.h>

#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "base/file.h"
#include "base/http_server_thread.h"
#include "base/log.h"
#include "base/ssl_ptr.h"
#include "base/status_macros.h"
#include "httplib.h"
#include "openssl/pem.h"
#include "verifier/webhook/admission.h"

namespace hallmark::verifier::webhook {

// CertificateReloader: the serving certificate chain and key, re-read when the files change.
class CertificateReloader {
 public:
  static absl::StatusOr<std::shared_ptr<CertificateReloader>> Load(std::string cert_file,
                                                                   std::string key_file) {
    auto r = std::shared_ptr<CertificateReloader>(
        new CertificateReloader(std::move(cert_file), std::move(key_file)));
    absl::MutexLock lock(&r->mu_);
    HM_ASSIGN_OR_RETURN(r->current_, r->Read());
    r->stamp_ = r->Stamp();
    return r;
  }

  // Apply: installs the current pair on `ssl` (called from OpenSSL's certificate callback).
  bool Apply(SSL* ssl) {
    std::shared_ptr<const Pair> pair;
    {
      absl::MutexLock lock(&mu_);
      std::string stamp = Stamp();
      if (stamp != stamp_) {
        stamp_ = stamp;
        absl::StatusOr<std::shared_ptr<const Pair>> fresh = Read();
        if (fresh.ok()) {
          current_ = *std::move(fresh);
          log::Info("serving certificate reloaded", {{"cert", cert_file_}});
        } else {
          log::Error("serving certificate not reloaded; keeping the previous one",
                     {{"cert", cert_file_}, {"error", std::string(fresh.status().message())}});
        }
      }
      pair = current_;
    }
    STACK_OF(X509)* chain = pair->chain.get();
    return SSL_use_cert_and_key(ssl, pair->leaf.get(), pair->key.get(), chain, 1) == 1;
  }

 private:
  struct Pair {
    SslPtr<X509> leaf;
    X509StackPtr chain;
    SslPtr<EVP_PKEY> key;
  };

  CertificateReloader(std::string cert_file, std::string key_file)
      : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

  std::string Stamp() const {
    std::string out;
    for (const std::string& f : {cert_file_, key_file_}) {
      struct stat st;
      if (stat(f.c_str(), &st) == 0) {
        absl::StrAppend(&out, st.st_ino, ":", st.st_size, ":", st.st_mtim.tv_sec, ".",
                        st.st_mtim.tv_nsec, ";");
      }
    }
    return out;
  }

  absl::StatusOr<std::shared_ptr<const Pair>> Read() const {
    HM_ASSIGN_OR_RETURN(std::string cert_pem, ReadFile(cert_file_, 1 << 20));
    HM_ASSIGN_OR_RETURN(std::string key_pem, ReadFile(key_file_, 1 << 20));
    auto pair = std::make_shared<Pair>();
    SslPtr<BIO> cert_bio = NewMemBio(cert_pem);
    pair->leaf.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
    if (pair->leaf == nullptr) {
      return SslError(absl::StrCat(cert_file_, ": no PEM certificate"),
                      absl::StatusCode::kInvalidArgument);
    }
    pair->chain.reset(sk_X509_new_null());
    while (X509* extra = PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr)) {
      sk_X509_push(pair->chain.get(), extra);
    }
    ClearSslErrors();  // the loop ends on "no start line"
    SslPtr<BIO> key_bio = NewMemBio(key_pem);
    pair->key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
    if (pair->key == nullptr) {
      return SslError(absl::StrCat(key_file_, ": no PEM private key"),
                      absl::StatusCode::kInvalidArgument);
    }
    if (X509_check_private_key(pair->leaf.get(), pair->key.get()) != 1) {
      return SslError(absl::StrCat(key_file_, " does not match the certificate in ", cert_file_),
                      absl::StatusCode::kInvalidArgument);
    }
    return std::shared_ptr<const Pair>(std::move(pair));
  }

  const std::string cert_file_;
  const std::string key_file_;
  absl::Mutex mu_;
  std::shared_ptr<const Pair> current_ ABSL_GUARDED_BY(mu_);
  std::string stamp_ ABSL_GUARDED_BY(mu_);
};

namespace {

// kAdmissionStopGrace: how long Stop() lets admissions in flight finish (the API server's
// webhook timeout is at most 30 s; deploy/webhook sets 10 s and a 15 s termination grace).
constexpr absl::Duration kAdmissionStopGrace = absl::Seconds(10);

int CertCallback(SSL* ssl, void* arg) {
  return static_cast<CertificateReloader*>(arg)->Apply(ssl) ? 1 : 0;
}

void Tune(httplib::Server& s, int threads) {
  s.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  s.set_payload_max_length(kMaxReviewBytes + 1);
  s.set_read_timeout(10, 0);
  s.set_write_timeout(10, 0);
  s.set_keep_alive_timeout(30);
  s.set_keep_alive_max_count(100000);
  s.set_tcp_nodelay(true);
}

}  // namespace

absl::StatusOr<std::unique_ptr<WebhookServer>> WebhookServer::Start(ServerOptions options,
                                                                    AdmissionHandler* handler,
                                                                    Metrics* metrics,
                                                                    std::function<bool()> ready) {
  if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "the webhook needs --tls-cert and --tls-key (the API server only calls HTTPS webhooks)");
  }
  auto server = std::unique_ptr<WebhookServer>(new WebhookServer());
  server->options_ = options;
  HM_ASSIGN_OR_RETURN(server->certs_,
                      CertificateReloader::Load(options.tls_cert_file, options.tls_key_file));
  CertificateReloader* certs = server->certs_.get();
  auto https = std::make_unique<httplib::SSLServer>([certs](SSL_CTX& ctx) {
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    SSL_CTX_set_cert_cb(&ctx, CertCallback, certs);
    return true;
  });
  if (!https->is_valid()) return absl::InternalError("TLS server set-up failed");
  Tune(*https, options.threads);

  auto admit = [handler](Mode mode) {
    return [handler, mode](const httplib::Request& req, httplib::Response& res) {
      HttpReply reply = handler->Handle(mode, req.get_header_value("Content-Type"), req.body);
      res.status = reply.status;
      res.set_content(reply.body, reply.content_type.c_str());
    };
  };
  auto health = [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  };
  auto readyz = [ready](const httplib::Request&, httplib::Response& res) {
    bool ok = !ready || ready();
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ok\n" : "policies not loaded\n", "text/plain");
  };
  auto metrics_handler = [metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics->Render(), "text/plain; version=0.0.4");
  };
  for (const char* p : {"/mutate", "/mutate/fail"}) https->Post(p, admit(Mode::kMutate));
  for (const char* p : {"/validate", "/validate/fail"}) https->Post(p, admit(Mode::kValidate));
  https->Get("/healthz", health);
  https->Get("/readyz", readyz);
  https->Get("/metrics", metrics_handler);
  // HttpServerThread raises httplib's listen backlog of 5 (a burst of new connections from API
  // server replicas overflowed it), binds without SO_REUSEPORT, and stops at once although
  // kube-apiserver keeps idle keep-alive connections to the webhook (30 s timeout here).
  // Admissions in flight get kAdmissionStopGrace to finish.
  HttpServerThreadOptions serve;
  serve.stop_grace = kAdmissionStopGrace;
  HM_ASSIGN_OR_RETURN(server->https_,
                      HttpServerThread::Start(std::move(https), options.host, options.port, serve));
  server->port_ = server->https_->port();

  if (options.metrics_port >= 0) {
    auto metrics_http = std::make_unique<httplib::Server>();
    Tune(*metrics_http, 4);
    metrics_http->Get("/metrics", metrics_handler);
    metrics_http->Get("/healthz", health);
    HM_ASSIGN_OR_RETURN(server->metrics_http_,
                        HttpServerThread::Start(std::move(metrics_http), options.metrics_host,
                                                options.metrics_port));
    server->metrics_port_ = server->metrics_http_->port();
  }
  return server;
}

WebhookServer::~WebhookServer() { Stop(); }

void WebhookServer::Stop() {
  if (stopped_.exchange(true)) return;
  if (https_ != nullptr) https_->Stop();
  if (metrics_http_ != nullptr) metrics_http_->Stop();
}

std::string WebhookServer::url() const {
  std::string host = options_.host.empty() || options_.host == "0.0.0.0" ? "127.0.0.1"
                     : absl::StrContains(options_.host, ":") ? absl::StrCat("[", options_.host, "]")
                                                             : options_.host;
  return absl::StrCat("https://", host, ":", port_);
}

}  // namespace hallmark::verifier::webhook
