// Our servers stop at once on SIGTERM even while a client holds an idle keep-alive connection:
// kube-apiserver keeps its connections to admission webhooks open (and deploy/webhook gives the
// pod terminationGracePeriodSeconds: 15), Prometheus keeps its scrape connection to the agent.
// httplib alone waited for each idle connection's keep-alive timeout: `hallmark webhook` took
// 29 s to stop, `hallmark agent --metrics-addr` 5 s (base/http_server_thread.h).
//
// Each test runs the built binary, opens a keep-alive connection (two requests over it), leaves
// it idle and sends SIGTERM: the process must exit 0 within 2 s (BackgroundProcess sends SIGKILL
// after its grace, which would show as exit code 137).
#include <memory>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/time/clock.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/apiserver/testing/apiserver_process.h"
#include "tests/apiserver/tls.h"
#include "tests/e2e/webhook_harness.h"

namespace hallmark::tests::shutdown {
namespace {

using ::hallmark::testing::BackgroundProcess;
using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::RunfilePath;
using ::hallmark::testing::TempDir;
using ::hallmark::testing::WriteFileOrDie;

constexpr absl::Duration kQuick = absl::Seconds(2);

// PortAfter: the decimal number that follows `marker` in `log` (0 if none).
int PortAfter(const std::string& log, const std::string& marker) {
  size_t at = log.find(marker);
  if (at == std::string::npos) return 0;
  size_t start = at + marker.size(), end = start;
  while (end < log.size() && absl::ascii_isdigit(static_cast<unsigned char>(log[end]))) ++end;
  int port = 0;
  return absl::SimpleAtoi(log.substr(start, end - start), &port) ? port : 0;
}

// KeepTwoRequestsAlive: two GETs of `path` over one kept-alive connection of `client`, which is
// then left open and idle. `Client` is httplib::Client or httplib::SSLClient.
template <typename Client>
void KeepTwoRequestsAlive(Client& client, const std::string& path) {
  client.set_keep_alive(true);
  for (int i = 0; i < 2; ++i) {
    httplib::Result got = client.Get(path);
    ASSERT_TRUE(got) << httplib::to_string(got.error());
    EXPECT_EQ(got->status, 200);
  }
}

// StopQuickly: SIGTERM; the process must exit 0 within kQuick.
void StopQuickly(BackgroundProcess& process) {
  absl::Time start = absl::Now();
  int code = process.Stop(absl::Seconds(10));
  absl::Duration took = absl::Now() - start;
  EXPECT_EQ(code, 0) << process.Log();
  EXPECT_LT(took, kQuick) << process.Log();
}

TEST(SigtermTest, WebhookExitsAtOnceWithAnIdleKeepAliveConnection) {
  const std::string dir = TempDir();
  ASSERT_OK_AND_ASSIGN(apiserver::TlsFiles tls, apiserver::EnsureSelfSignedTls(dir + "/tls"));
  WriteFileOrDie(dir + "/policy.yaml",
                 e2e::KeyPolicyYaml("signed-images", ReadFixture("chains/keys/cosign.pub")));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BackgroundProcess> webhook,
                       BackgroundProcess::Start({RunfilePath("cmd/hallmark"), "webhook", "--policy",
                                                 dir + "/policy.yaml", "--tls-cert", tls.cert,
                                                 "--tls-key", tls.key, "--listen", "127.0.0.1:0"},
                                                dir + "/webhook.log"));
  ASSERT_OK(webhook->WaitForOutput("listening on https://127.0.0.1:", absl::Seconds(20)));
  int port = PortAfter(webhook->Log(), "listening on https://127.0.0.1:");
  ASSERT_GT(port, 0) << webhook->Log();

  httplib::SSLClient client("127.0.0.1", port);
  client.set_ca_cert_path(tls.ca_cert.c_str());
  client.enable_server_certificate_verification(true);
  KeepTwoRequestsAlive(client, "/healthz");
  StopQuickly(*webhook);
}

TEST(SigtermTest, AgentExitsAtOnceWithAnIdleMetricsConnection) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<apiserver::testing::ApiserverProcess> api,
                       apiserver::testing::ApiserverProcess::Start({}));
  const std::string dir = TempDir();
  api->WriteKubeconfig(dir + "/kubeconfig");
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<BackgroundProcess> agent,
      BackgroundProcess::Start({RunfilePath("cmd/hallmark"), "agent", "--kubeconfig",
                                dir + "/kubeconfig", "--metrics-addr", "127.0.0.1:0"},
                               dir + "/agent.log"));
  // The agent starts without a signing key (it waits for one) and serves its endpoints.
  ASSERT_OK(agent->WaitForOutput("\"msg\":\"caches synced\"", absl::Seconds(20)));
  int port = PortAfter(agent->Log(), "\"msg\":\"metrics listening\",\"address\":\"127.0.0.1:");
  ASSERT_GT(port, 0) << agent->Log();

  httplib::Client client("127.0.0.1", port);
  KeepTwoRequestsAlive(client, "/healthz");
  StopQuickly(*agent);
}

}  // namespace
}  // namespace hallmark::tests::shutdown
