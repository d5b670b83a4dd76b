// CurlHttpClient over HTTPS against a real cpp-httplib SSLServer, with a test PKI made by the
// real openssl CLI: server certificate for IP:127.0.0.1 / DNS:localhost signed by a test CA, a
// second unrelated CA, and a client certificate (CN=chains-test, O=system:masters) for mutual
// TLS as the Kubernetes API server uses it.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "net/curl_http_client.h"
#include "net/testing/http_test_server.h"
#include "openssl/ssl.h"
#include "openssl/x509.h"

namespace hallmark::net {
namespace {

using ::hallmark::net::testing::HttpTestServer;
using ::hallmark::testing::IsOk;
using ::hallmark::testing::ReadFileOrDie;
using ::hallmark::testing::RunCommand;
using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// The PKI is made once for the whole binary (openssl key generation is the slow part).
struct Pki {
  std::string dir;
  std::string ca_pem, other_ca_pem, client_cert_pem, client_key_pem, other_key_pem;
  std::string ca_file, server_cert, server_key, client_ca_file;
};

void Openssl(const std::vector<std::string>& args, const std::string& cwd) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  hallmark::testing::CommandOptions options;
  options.cwd = cwd;
  auto result = RunCommand(argv, options);
  ASSERT_THAT(result, IsOk());
  ASSERT_EQ(result->exit_code, 0) << absl::StrJoin(argv, " ") << "\n" << result->err;
}

void MakeCa(const std::string& name, const std::string& dir) {
  Openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
           "-keyout", name + ".key", "-out", name + ".pem", "-days", "2", "-subj", "/CN=" + name},
          dir);
}

void MakeLeaf(const std::string& name, const std::string& ca, const std::string& subject,
              const std::string& ext, const std::string& dir) {
  Openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
           name + ".key", "-out", name + ".csr", "-subj", subject},
          dir);
  hallmark::testing::WriteFileOrDie(dir + "/" + name + ".ext", ext);
  Openssl({"x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key",
           "-CAcreateserial", "-out", name + ".pem", "-days", "2", "-extfile", name + ".ext"},
          dir);
}

const Pki& GetPki() {
  static Pki* pki = [] {
    auto* p = new Pki;
    p->dir = hallmark::testing::TempDir();
    MakeCa("ca", p->dir);
    MakeCa("other-ca", p->dir);
    MakeCa("client-ca", p->dir);
    MakeLeaf("server", "ca", "/CN=127.0.0.1",
             "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n", p->dir);
    MakeLeaf("client", "client-ca", "/O=system:masters/CN=chains-test",
             "extendedKeyUsage=clientAuth\n", p->dir);
    p->ca_file = p->dir + "/ca.pem";
    p->server_cert = p->dir + "/server.pem";
    p->server_key = p->dir + "/server.key";
    p->client_ca_file = p->dir + "/client-ca.pem";
    p->ca_pem = ReadFileOrDie(p->ca_file);
    p->other_ca_pem = ReadFileOrDie(p->dir + "/other-ca.pem");
    p->client_cert_pem = ReadFileOrDie(p->dir + "/client.pem");
    p->client_key_pem = ReadFileOrDie(p->dir + "/client.key");
    p->other_key_pem = ReadFileOrDie(p->dir + "/other-ca.key");
    return p;
  }();
  return *pki;
}

HttpRequest Get(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  r.timeout = absl::Seconds(10);
  return r;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(GetPki().ca_pem.empty()); }

  // StartServer: HTTPS on 127.0.0.1; with `require_client_cert` the server demands a client
  // certificate signed by client-ca and answers with its subject.
  void StartServer(bool require_client_cert = false) {
    const Pki& pki = GetPki();
    auto server = std::make_unique<httplib::SSLServer>(
        pki.server_cert.c_str(), pki.server_key.c_str(),
        require_client_cert ? pki.client_ca_file.c_str() : nullptr);
    server->Get("/whoami", [](const httplib::Request& req, httplib::Response& res) {
      std::string subject = "anonymous";
      if (req.ssl != nullptr) {
        X509* peer = SSL_get_peer_certificate(req.ssl);
        if (peer != nullptr) {
          char buf[256];
          X509_NAME_oneline(X509_get_subject_name(peer), buf, sizeof(buf));
          subject = buf;
          X509_free(peer);
        }
      }
      res.set_content(subject, "text/plain");
    });
    ASSERT_OK_AND_ASSIGN(running_, HttpTestServer::Start(std::move(server), /*https=*/true));
  }
  void TearDown() override { running_.reset(); }

  std::unique_ptr<HttpTestServer> running_;
};

TEST_F(TlsTest, CaDataInMemoryVerifiesAndConnectionsAreReused) {
  StartServer();
  CurlHttpClientOptions options;
  options.tls.ca_pem = GetPki().ca_pem;
  ASSERT_OK_AND_ASSIGN(auto client, CurlHttpClient::New(options));
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK_AND_ASSIGN(HttpResponse resp, client->Do(Get(running_->Url("/whoami"))));
    EXPECT_EQ(resp.status, 200);
    EXPECT_EQ(resp.body, "anonymous");
  }
  // Host name check against the DNS SAN too.
  ASSERT_OK_AND_ASSIGN(HttpResponse by_name, client->Do(Get(running_->LocalhostUrl("/whoami"))));
  EXPECT_EQ(by_name.status, 200);
  EXPECT_EQ(client->Stats().requests, 21u);
  EXPECT_EQ(client->Stats().new_connections, 2u);  // one per host name
}

TEST_F(TlsTest, CaFileVerifies) {
  StartServer();
  CurlHttpClientOptions options;
  options.tls.ca_file = GetPki().ca_file;
  ASSERT_OK_AND_ASSIGN(auto client, CurlHttpClient::New(options));
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, client->Do(Get(running_->Url("/whoami"))));
  EXPECT_EQ(resp.status, 200);
}

TEST_F(TlsTest, WrongCaFailsVerification) {
  StartServer();
  CurlHttpClientOptions options;
  options.tls.ca_pem = GetPki().other_ca_pem;
  ASSERT_OK_AND_ASSIGN(auto client, CurlHttpClient::New(options));
  auto resp = client->Do(Get(running_->Url("/whoami")));
  EXPECT_THAT(resp,
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr(running_->Url("/whoami"))));
}

TEST_F(TlsTest, SystemTrustStoreDoesNotTrustTheTestCa) {
  StartServer();
  ASSERT_OK_AND_ASSIGN(auto client, CurlHttpClient::New());
  EXPECT_THAT(client->Do(Get(running_->Url("/whoami"))),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(TlsTest, InsecureSkipVerifyAcceptsAnyCertificate) {
  StartServer();
  CurlHttpClientOptions options;
  options.tls.insecure_skip_verify = true;
  ASSERT_OK_AND_ASSIGN(auto client, CurlHttpClient::New(options));
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, client->Do(Get(running_->Url("/whoami"))));
  EXPECT_EQ(resp.status, 200);

  options.tls.ca_pem = GetPki().ca_pem;  // kubectl refuses this combination too
  EXPECT_THAT(CurlHttpClient::New(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("insecure")));
}

TEST_F(TlsTest, ClientCertificateFromMemoryIsPresented) {
  StartServer(/*require_client_cert=*/true);
  CurlHttpClientOptions options;
  options.tls.ca_pem = GetPki().ca_pem;
  options.tls.client_cert_pem = GetPki().client_cert_pem;
  options.tls.client_key_pem = SecretData(GetPki().client_key_pem);
  ASSERT_OK_AND_ASSIGN(auto client, CurlHttpClient::New(options));
  ASSERT_OK_AND_ASSIGN(HttpResponse resp, client->Do(Get(running_->Url("/whoami"))));
  EXPECT_EQ(resp.status, 200);
  EXPECT_EQ(resp.body, "/O=system:masters/CN=chains-test");
}

TEST_F(TlsTest, ServerRequiringClientCertificateRefusesClientWithout) {
  StartServer(/*require_client_cert=*/true);
  CurlHttpClientOptions options;
  options.tls.ca_pem = GetPki().ca_pem;
  ASSERT_OK_AND_ASSIGN(auto client, CurlHttpClient::New(options));
  auto resp = client->Do(Get(running_->Url("/whoami")));
  ASSERT_FALSE(resp.ok());
  EXPECT_THAT(resp.status().code(), ::testing::AnyOf(absl::StatusCode::kUnavailable,
                                                     absl::StatusCode::kFailedPrecondition));
}

TEST_F(TlsTest, NewChecksTheClientKeyPair) {
  CurlHttpClientOptions mismatch;
  mismatch.tls.client_cert_pem = GetPki().client_cert_pem;
  mismatch.tls.client_key_pem = SecretData(GetPki().other_key_pem);
  auto client = CurlHttpClient::New(mismatch);
  EXPECT_THAT(client, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("does not match")));
  // The error never quotes key material.
  EXPECT_THAT(std::string(client.status().message()), Not(HasSubstr("PRIVATE KEY")));

  CurlHttpClientOptions bad_key;
  bad_key.tls.client_cert_pem = GetPki().client_cert_pem;
  bad_key.tls.client_key_pem =
      SecretData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  EXPECT_THAT(CurlHttpClient::New(bad_key),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("private key")));

  CurlHttpClientOptions bad_cert;
  bad_cert.tls.client_cert_pem = "garbage";
  bad_cert.tls.client_key_pem = SecretData(GetPki().client_key_pem);
  EXPECT_THAT(CurlHttpClient::New(bad_cert),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("certificate")));
}

}  // namespace
}  // namespace hallmark::net
