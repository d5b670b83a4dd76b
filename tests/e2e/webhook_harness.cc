#include "tests/e2e/webhook_harness.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/file.h"
#include "base/testing/fixtures.h"
#include "net/curl_http_client.h"

namespace hallmark::tests::e2e {

using ::hallmark::testing::BackgroundProcess;
using ::hallmark::testing::CommandResult;
using ::hallmark::testing::RunCommand;

namespace {

absl::Status Openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> r = RunCommand(argv);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) {
    return absl::InternalError(absl::StrCat("openssl ", args[0], " failed: ", r->err));
  }
  return absl::OkStatus();
}

}  // namespace

std::string KeyPolicyYaml(const std::string& name, const std::string& public_pem,
                          const std::string& extra_rule_yaml) {
  std::string keys;
  for (absl::string_view line : absl::StrSplit(public_pem, '\n', absl::SkipEmpty())) {
    absl::StrAppend(&keys, "                      ", line, "\n");
  }
  return absl::StrCat(R"(apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: )",
                      name, R"(
spec:
  rules:
    - name: signed
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: ["*"]
          failureAction: Enforce
)",
                      extra_rule_yaml, R"(          attestors:
            - entries:
                - keys:
                    rekor: {ignoreTlog: true}
                    publicKeys: |-
)",
                      keys);
}

absl::StatusOr<WebhookTls> MakeWebhookTls(const std::string& dir) {
  WebhookTls tls;
  tls.ca_file = dir + "/ca.crt";
  tls.cert_file = dir + "/tls.crt";
  tls.key_file = dir + "/tls.key";
  const std::string ext = dir + "/san.ext";
  absl::Status s = WriteFileAtomic(
      ext,
      "subjectAltName=IP:127.0.0.1,DNS:hallmark-webhook.hallmark-system.svc,DNS:localhost\n"
      "extendedKeyUsage=serverAuth\n",
      0644);
  if (!s.ok()) return s;
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", dir + "/ca.key", "-out", tls.ca_file, "-subj", "/CN=hallmark-test-ca",
            "-days", "2"},
           {"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
            tls.key_file, "-out", dir + "/tls.csr", "-subj", "/CN=hallmark-webhook"},
           {"x509", "-req", "-in", dir + "/tls.csr", "-CA", tls.ca_file, "-CAkey", dir + "/ca.key",
            "-CAcreateserial", "-out", tls.cert_file, "-days", "2", "-extfile", ext}}) {
    s = Openssl(args);
    if (!s.ok()) return s;
  }
  absl::StatusOr<std::string> ca = ReadFile(tls.ca_file, 1 << 20);
  if (!ca.ok()) return ca.status();
  tls.ca_pem = *std::move(ca);
  return tls;
}

absl::StatusOr<std::unique_ptr<WebhookProcess>> WebhookProcess::Start(
    const std::vector<std::string>& args, const WebhookTls& tls, const std::string& dir) {
  std::unique_ptr<WebhookProcess> p(new WebhookProcess());
  std::vector<std::string> argv = {::hallmark::testing::RunfilePath("cmd/hallmark"),
                                   "webhook",
                                   "--tls-cert",
                                   tls.cert_file,
                                   "--tls-key",
                                   tls.key_file,
                                   "--listen",
                                   "127.0.0.1:0"};
  argv.insert(argv.end(), args.begin(), args.end());
  ::hallmark::testing::CommandOptions options;
  options.env["DOCKER_CONFIG"] = dir + "/no-docker-config";  // never the developer's credentials
  auto process = BackgroundProcess::Start(argv, dir + "/webhook.log", options);
  if (!process.ok()) return process.status();
  p->process_ = *std::move(process);
  absl::Status ready = p->process_->WaitForOutput("listening on https://", absl::Seconds(20));
  if (!ready.ok()) return ready;
  for (absl::string_view line : absl::StrSplit(p->process_->Log(), '\n')) {
    if (absl::StartsWith(line, "listening on ")) {
      p->url_ = std::string(absl::StripAsciiWhitespace(line.substr(13)));
    }
  }
  net::CurlHttpClientOptions copts;
  copts.tls.ca_pem = tls.ca_pem;
  copts.max_idle_handles = 64;
  auto http = net::CurlHttpClient::New(copts);
  if (!http.ok()) return http.status();
  p->http_ = *std::move(http);
  return p;
}

WebhookProcess::~WebhookProcess() {
  http_.reset();
  if (process_ != nullptr) process_->Stop();
}

absl::StatusOr<std::string> WebhookProcess::Post(const std::string& path, const std::string& body,
                                                 const std::string& content_type) {
  net::HttpRequest req;
  req.method = net::Method::kPost;
  req.url = url_ + path;
  req.body = body;
  req.headers.Add("Content-Type", content_type);
  req.timeout = absl::Seconds(30);
  req.max_response_bytes = 16 << 20;
  absl::StatusOr<net::HttpResponse> r = http_->Do(req);
  if (!r.ok()) return r.status();
  if (r->status != 200) {
    return absl::FailedPreconditionError(absl::StrCat("HTTP ", r->status, ": ", r->body));
  }
  return r->body;
}

absl::StatusOr<std::string> WebhookProcess::Get(const std::string& path) {
  net::HttpRequest req;
  req.url = url_ + path;
  absl::StatusOr<net::HttpResponse> r = http_->Do(req);
  if (!r.ok()) return r.status();
  if (r->status != 200) return absl::FailedPreconditionError(absl::StrCat("HTTP ", r->status));
  return r->body;
}

}  // namespace hallmark::tests::e2e
