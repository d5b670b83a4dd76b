// The HTTPS listener with a real TLS stack (certificates made by the openssl CLI): routes, 415,
// health and metrics, and a serving certificate rotated on disk without a restart.
#include "verifier/webhook/server.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "verifier/policy/testing/fake_sources.h"

namespace hallmark::verifier::webhook {
namespace {

using ::hallmark::testing::ReadFileOrDie;
using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::RunCommand;
using ::hallmark::testing::WriteFileOrDie;
using ::testing::HasSubstr;

// A CA and a serving pair for 127.0.0.1 in `dir` (prefix p: p-ca.crt, p.crt, p.key).
void MakePki(const std::string& dir, const std::string& p) {
  WriteFileOrDie(dir + "/san.ext", "subjectAltName=IP:127.0.0.1\n");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", dir + "/" + p + "-ca.key", "-out", dir + "/" + p + "-ca.crt",
            "-subj", "/CN=" + p + "-ca", "-days", "1"},
           {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", dir + "/" + p + ".key", "-out", dir + "/" + p + ".csr", "-subj",
            "/CN=webhook"},
           {"openssl", "x509", "-req", "-in", dir + "/" + p + ".csr", "-CA",
            dir + "/" + p + "-ca.crt", "-CAkey", dir + "/" + p + "-ca.key", "-CAcreateserial",
            "-out", dir + "/" + p + ".crt", "-days", "1", "-extfile", dir + "/san.ext"}}) {
    auto r = RunCommand(args);
    ASSERT_OK(r.status());
    ASSERT_EQ(r->exit_code, 0) << r->err;
  }
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = hallmark::testing::TempDir();
    MakePki(dir_, "one");
    MakePki(dir_, "two");
    // The server reads tls.crt / tls.key, as mounted from a Secret.
    WriteFileOrDie(dir_ + "/tls.crt", ReadFileOrDie(dir_ + "/one.crt"));
    WriteFileOrDie(dir_ + "/tls.key", ReadFileOrDie(dir_ + "/one.key"));
    ASSERT_OK_AND_ASSIGN(
        std::vector<policy::Policy> p,
        policy::ParsePolicies(ReadFixture("seed/kyverno.only-cosign-image-deploy.yaml")));
    store_.Set("t", p);
    policy::EngineOptions eo;
    eo.images = &source_;
    engine_ = std::make_unique<policy::Engine>(eo);
    handler_ =
        std::make_unique<AdmissionHandler>(&store_, engine_.get(), &metrics_, HandlerOptions{});
    ServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.metrics_host = "127.0.0.1";
    o.metrics_port = 0;
    o.tls_cert_file = dir_ + "/tls.crt";
    o.tls_key_file = dir_ + "/tls.key";
    ASSERT_OK_AND_ASSIGN(server_,
                         WebhookServer::Start(o, handler_.get(), &metrics_, [] { return true; }));
  }

  std::unique_ptr<httplib::SSLClient> Client(const std::string& ca) {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", server_->port());
    c->set_ca_cert_path((dir_ + "/" + ca + "-ca.crt").c_str());
    c->enable_server_certificate_verification(true);
    return c;
  }

  std::string dir_;
  policy::testing::FakeImageSource source_;
  PolicyStore store_;
  Metrics metrics_;
  std::unique_ptr<policy::Engine> engine_;
  std::unique_ptr<AdmissionHandler> handler_;
  std::unique_ptr<WebhookServer> server_;
};

TEST_F(ServerTest, RoutesOverVerifiedTls) {
  auto c = Client("one");
  std::string review =
      ReadFixture("kyverno/admission/request-pod-create-signed.json");  // namespace policy
  source_.SetTag("registry.example:5000/demo:v1",
                 {*oci::Digest::Parse(
                     "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00")});
  for (const char* path : {"/mutate", "/mutate/fail"}) {
    auto r = c->Post(path, review, "application/json");
    ASSERT_TRUE(r) << httplib::to_string(r.error());
    EXPECT_EQ(r->status, 200);
    EXPECT_THAT(r->body, HasSubstr("\"allowed\":false"));  // no signature in the fake registry
    EXPECT_THAT(r->body, HasSubstr("no signatures found"));
  }
  auto bad = c->Post("/validate", review, "text/plain");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 415);
  EXPECT_EQ(c->Get("/healthz")->status, 200);
  EXPECT_EQ(c->Get("/readyz")->status, 200);
  EXPECT_EQ(c->Get("/nope")->status, 404);
  auto m = c->Get("/metrics");
  EXPECT_THAT(
      m->body,
      HasSubstr("hallmark_webhook_admissions_total{path=\"mutate\",decision=\"denied\"} 2"));
  httplib::Client plain("127.0.0.1", server_->metrics_port());
  auto pm = plain.Get("/metrics");
  ASSERT_TRUE(pm);
  EXPECT_THAT(pm->body,
              HasSubstr("hallmark_webhook_rejected_requests_total{reason=\"content_type\"} 1"));
}

TEST_F(ServerTest, CertificateRotatedOnDiskIsServedWithoutARestart) {
  EXPECT_TRUE(Client("one")->Get("/healthz"));
  EXPECT_FALSE(Client("two")->Get("/healthz"));  // not trusted yet
  absl::SleepFor(absl::Milliseconds(20));        // a later mtime
  WriteFileOrDie(dir_ + "/tls.crt", ReadFileOrDie(dir_ + "/two.crt"));
  WriteFileOrDie(dir_ + "/tls.key", ReadFileOrDie(dir_ + "/two.key"));
  auto r = Client("two")->Get("/healthz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_FALSE(Client("one")->Get("/healthz"));
}

TEST(ServerStartTest, BadCertificatesAndListenAddresses) {
  const std::string dir = hallmark::testing::TempDir();
  MakePki(dir, "x");
  MakePki(dir, "y");
  PolicyStore store;
  Metrics metrics;
  policy::testing::FakeImageSource source;
  policy::EngineOptions eo;
  eo.images = &source;
  policy::Engine engine(eo);
  AdmissionHandler handler(&store, &engine, &metrics, HandlerOptions{});
  ServerOptions o;
  o.port = 0;
  o.tls_cert_file = dir + "/x.crt";
  o.tls_key_file = dir + "/y.key";
  EXPECT_THAT(
      WebhookServer::Start(o, &handler, &metrics, nullptr),
      hallmark::testing::StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));
  o.tls_key_file = "";
  EXPECT_THAT(WebhookServer::Start(o, &handler, &metrics, nullptr),
              hallmark::testing::StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace hallmark::verifier::webhook
