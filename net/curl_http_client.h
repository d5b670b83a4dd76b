// File: net/curl_http_client.h
//
// CurlHttpClient: the production HttpClient, on libcurl (Debian 7.88, OpenSSL backend).
//
//   CurlHttpClientOptions options;
//   options.tls.ca_pem = kube_config.ca_data;              // PEM in memory, or tls.ca_file
//   options.tls.client_cert_pem = kube_config.cert_data;
//   options.tls.client_key_pem = kube_config.key_data;     // SecretData
//   HM_ASSIGN_OR_RETURN(std::unique_ptr<CurlHttpClient> client, CurlHttpClient::New(options));
//
// Behaviour (beyond the HttpClient contract):
//  - Keep-alive: easy handles (each with its own connection cache) are pooled; a call takes an
//    idle handle or makes one, and gives it back afterwards, so sequential callers reuse one
//    connection and concurrent callers never share a handle. DNS answers and TLS sessions are
//    shared between handles (curl share interface); connections are not, because libcurl does
//    not support sharing its connection cache between concurrent threads.
//  - HTTP/1.1 only (one exchange per connection at a time; chunked watch streams behave like
//    kubectl's measured traffic), TCP_NODELAY and TCP keep-alive on, no `Expect: 100-continue`,
//    only the http and https protocols.
//  - Proxies: an explicit `proxy` is used for every URL. Otherwise curl's environment variables
//    apply (http_proxy, HTTPS_PROXY, ALL_PROXY, NO_PROXY), EXCEPT that loopback URLs (localhost,
//    127.0.0.0/8, ::1) never go through an environment proxy.
//  - TLS peer and host name verification are on unless `tls.insecure_skip_verify`.
// Thread-safe. The client must outlive every call in progress.
#ifndef HALLMARK_NET_CURL_HTTP_CLIENT_H_
#define HALLMARK_NET_CURL_HTTP_CLIENT_H_

#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/curl_ptr.h"
#include "base/secret_data.h"
#include "net/http_client.h"

namespace hallmark::net {

struct TlsOptions {
  // Trust anchors: a PEM bundle file, OR PEM data in memory (e.g. kubeconfig
  // certificate-authority-data after base64 decoding), not both. Neither: the system bundle.
  std::string ca_file;
  std::string ca_pem;
  // Client certificate (PEM, may include intermediates) and its private key (PEM). Both or
  // neither. New() checks that they parse and belong together.
  std::string client_cert_pem;
  SecretData client_key_pem;
  // WARNING: turns off peer and host name verification (kubeconfig insecure-skip-tls-verify).
  // Refused together with a CA, as kubectl does.
  bool insecure_skip_verify = false;
};

struct CurlHttpClientOptions {
  TlsOptions tls;
  // Connect (TCP + TLS handshake) timeout, capped by each request's total timeout.
  absl::Duration connect_timeout = absl::Seconds(10);
  std::string user_agent = "hallmark";
  // Explicit proxy URL (kubeconfig proxy-url) for every request; empty: from the environment.
  std::string proxy;
  // Idle handles kept for reuse (each keeps its connections open); more are closed on return.
  size_t max_idle_handles = 16;
};

class CurlHttpClient final : public HttpClient {
 public:
  // New validates `options`: kInvalidArgument for both ca_file and ca_pem, a CA together with
  // insecure_skip_verify, a certificate without a key (or the reverse), PEM that does not parse,
  // a key that does not match the certificate, a non-positive connect_timeout, or a proxy with
  // a scheme curl cannot use. kNotFound when ca_file is missing.
  static absl::StatusOr<std::unique_ptr<CurlHttpClient>> New(CurlHttpClientOptions options = {});

  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  absl::StatusOr<HttpResponse> Do(const HttpRequest& request) override;
  absl::StatusOr<HttpResponse> Stream(const HttpRequest& request, BodyCallback on_body) override;
  HttpClientStats Stats() const override;

 private:
  struct Transfer;

  explicit CurlHttpClient(CurlHttpClientOptions options);
  absl::Status InitShare();
  absl::StatusOr<CurlPtr> Acquire();
  void Release(CurlPtr handle);
  absl::StatusOr<HttpResponse> Perform(const HttpRequest& request, BodyCallback* on_body);
  absl::Status Configure(CURL* curl, const HttpRequest& request, Transfer& transfer,
                         curl_slist* headers);

  static void LockShare(CURL*, curl_lock_data data, curl_lock_access, void* self);
  static void UnlockShare(CURL*, curl_lock_data data, void* self);

  const CurlHttpClientOptions options_;
  // One lock per kind of shared data (curl_lock_data values are small integers).
  std::mutex share_locks_[CURL_LOCK_DATA_LAST];
  CurlSharePtr share_;

  absl::Mutex pool_mu_;
  std::vector<CurlPtr> idle_ ABSL_GUARDED_BY(pool_mu_);

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> new_connections_{0};
};

// CurlCodeToStatus: the Status for a failed transfer. Code by retry decision: kUnavailable
// (connect/DNS/send/receive/TLS handshake failures, empty reply), kDeadlineExceeded
// (CURLE_OPERATION_TIMEDOUT), kFailedPrecondition (peer verification, bad CA or client
// certificate), kInvalidArgument (malformed URL, unsupported protocol), kInternal otherwise.
// Message: "<METHOD> <redacted url>: <curl's description>[ (<detail>)]"; `detail` is curl's
// error buffer, which names hosts and ports but never headers.
absl::Status CurlCodeToStatus(CURLcode code, Method method, absl::string_view url,
                              absl::string_view detail);

}  // namespace hallmark::net

#endif  // HALLMARK_NET_CURL_HTTP_CLIENT_H_
