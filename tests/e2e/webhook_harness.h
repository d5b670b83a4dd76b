// File: tests/e2e/webhook_harness.h
//
// Running `hallmark webhook` for end-to-end tests and the benchmark, all real: a serving
// certificate made by the openssl CLI (a throwaway CA, SANs IP:127.0.0.1 and the in-cluster
// service name), the built hallmark binary as a separate process, and an HTTPS client (libcurl,
// verifying the CA) that posts AdmissionReviews to it.
//
//   ASSERT_OK_AND_ASSIGN(WebhookTls tls, MakeWebhookTls(TempDir()));
//   ASSERT_OK_AND_ASSIGN(auto webhook, WebhookProcess::Start({"--policy", dir}, tls));
//   ASSERT_OK_AND_ASSIGN(std::string reply, webhook->Post("/mutate", review));
#ifndef HALLMARK_TESTS_E2E_WEBHOOK_HARNESS_H_
#define HALLMARK_TESTS_E2E_WEBHOOK_HARNESS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "base/testing/process.h"
#include "net/http_client.h"

namespace hallmark::tests::e2e {

struct WebhookTls {
  std::string ca_pem;  // the CA certificate (what caBundle carries, before base64)
  std::string ca_file;
  std::string
      cert_file;  // server certificate for 127.0.0.1 and hallmark-webhook.hallmark-system.svc
  std::string key_file;
};

// KeyPolicyYaml: a Kyverno ClusterPolicy `name` with one Enforce rule "signed" verifying every
// Pod image (`imageReferences: ["*"]`) against `public_pem` (offline: rekor.ignoreTlog).
// `extra_rule_yaml` is inserted into the verifyImages entry before `attestors` (lines indented
// by 10 spaces, e.g. "          useCache: false\n").
std::string KeyPolicyYaml(const std::string& name, const std::string& public_pem,
                          const std::string& extra_rule_yaml = "");

// MakeWebhookTls: runs `openssl` to make the CA and the serving pair in `dir`.
absl::StatusOr<WebhookTls> MakeWebhookTls(const std::string& dir);

class WebhookProcess {
 public:
  // Start: `hallmark webhook --tls-cert .. --tls-key .. --listen 127.0.0.1:0 <args>`, waiting
  // (20 s at most) for its "listening on https://..." line. Logs go to `dir`/webhook.log.
  static absl::StatusOr<std::unique_ptr<WebhookProcess>> Start(const std::vector<std::string>& args,
                                                               const WebhookTls& tls,
                                                               const std::string& dir);
  ~WebhookProcess();

  const std::string& url() const { return url_; }  // "https://127.0.0.1:PORT"
  std::string Log() const { return process_->Log(); }
  int Stop() { return process_->Stop(); }

  // Post: POST `body` as application/json to `path`; the response body for HTTP 200, else
  // kFailedPrecondition with the status. Reuses one keep-alive connection per calling thread.
  absl::StatusOr<std::string> Post(const std::string& path, const std::string& body,
                                   const std::string& content_type = "application/json");
  // Get: GET `path` (e.g. /metrics).
  absl::StatusOr<std::string> Get(const std::string& path);

 private:
  WebhookProcess() = default;
  std::unique_ptr<::hallmark::testing::BackgroundProcess> process_;
  std::unique_ptr<net::HttpClient> http_;
  std::string url_;
};

}  // namespace hallmark::tests::e2e

#endif  // HALLMARK_TESTS_E2E_WEBHOOK_HARNESS_H_
