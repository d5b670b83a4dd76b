// No secret in any log line, across every component at once (STYLE.md rule 5): the agent signs
// with an encrypted key from the signing-secrets Secret while its bearer token is rotated;
// `hallmark generate-key-pair`, `sign`, `attest` and `verify` run with COSIGN_PASSWORD; the
// webhook admits the signed image and denies an unsigned one. Then EVERY log file under the
// test's folder (agent, hallmark-apiserver and its request log, docker-registry, webhook) and
// every captured CLI output is searched for every secret: key passwords, each private key as
// PEM lines, base64 and hex of its DER, and the bearer tokens. (The e2e fixtures check their own
// process's log; this checks all of them, and the logs they do not read.)
#include <dirent.h>
#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "base/encoding.h"
#include "base/file.h"
#include "base/secret_data.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "crypto/cosign_key.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/agent_harness.h"
#include "tests/e2e/webhook_harness.h"

namespace hallmark::tests::security {
namespace {

using ::hallmark::testing::CommandOptions;
using ::hallmark::testing::CommandResult;
using ::hallmark::testing::RunCommand;
using ::hallmark::testing::RunfilePath;
using nlohmann::json;

constexpr char kCliPassword[] = "cli-password-6b1d0c3f9e";
constexpr char kToken0[] = "agent-bearer-token-4f0e2a61c7d9";
constexpr char kToken1[] = "agent-bearer-token-93be51d07a24";

// LogFiles: every file under `dir` whose name says it is a log (*.log, *.log.N, *.jsonl).
void LogFiles(const std::string& dir, std::vector<std::string>* out) {
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return;
  while (struct dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      LogFiles(path, out);
    } else if (S_ISREG(st.st_mode) &&
               (absl::EndsWith(name, ".log") || absl::StrContains(name, ".log.") ||
                absl::EndsWith(name, ".jsonl"))) {
      out->push_back(path);
    }
  }
  ::closedir(d);
}

// SecretForms: the password, and every text form of the private key in `key_file` (encrypted
// with `password`) that must never be printed.
std::vector<std::string> SecretForms(const std::string& key_file, const std::string& password) {
  std::vector<std::string> out = {password};
  absl::StatusOr<std::string> text = ReadFile(key_file, 1 << 20);
  EXPECT_OK(text.status());
  if (!text.ok()) return out;
  absl::StatusOr<crypto::PrivateKey> key = crypto::LoadCosignKey(*text, SecretData(password));
  EXPECT_OK(key.status());
  if (!key.ok()) return out;
  absl::StatusOr<SecretData> der = key->InsecurePkcs8Der();
  EXPECT_OK(der.status());
  if (!der.ok()) return out;
  out.push_back(Base64Encode(der->InsecureView()));
  out.push_back(HexEncode(der->InsecureView()));
  std::string pem_body = Base64Encode(der->InsecureView());
  for (size_t i = 0; i + 64 <= pem_body.size(); i += 64) out.push_back(pem_body.substr(i, 64));
  return out;
}

TEST(NoSecretsInLogsTest, AgentApiServerRegistryWebhookAndCli) {
  e2e::HarnessOptions options;
  options.agent_token = kToken0;
  ASSERT_OK_AND_ASSIGN(auto h, e2e::AgentHarness::Start(options));
  std::vector<std::string> outputs;  // captured CLI stdout/stderr

  // The agent signs, with a token rotation in between.
  ASSERT_OK_AND_ASSIGN(std::string image, h->PushImage("team/app", "v1", "secrets"));
  json results =
      json::array({{{"name", "IMAGE_URL"}, {"value", image.substr(0, image.find('@'))}},
                   {{"name", "IMAGE_DIGEST"}, {"value", image.substr(image.find('@') + 1)}}});
  ASSERT_OK(h->CompleteTaskRun({.name = "secret-0", .results = results}).status());
  ASSERT_OK(h->WaitForSigned(kube::TaskRunsV1(), "secret-0").status());
  ASSERT_OK(h->RotateAgentToken(kToken1));
  ASSERT_OK_AND_ASSIGN(std::string second, h->PushImage("team/app", "v2", "secrets-2"));
  results[0]["value"] = second.substr(0, second.find('@'));
  results[1]["value"] = second.substr(second.find('@') + 1);
  ASSERT_OK(h->CompleteTaskRun({.name = "secret-1", .results = results}).status());
  ASSERT_OK(h->WaitForSigned(kube::TaskRunsV1(), "secret-1").status());

  // The CLI, with its own encrypted key.
  const std::string dir = ::hallmark::testing::TempDir();
  CommandOptions cli;
  cli.env["COSIGN_PASSWORD"] = kCliPassword;
  cli.env["DOCKER_CONFIG"] = dir + "/no-docker-config";
  auto hallmark = [&](std::vector<std::string> args) {
    args.insert(args.begin(), RunfilePath("cmd/hallmark"));
    absl::StatusOr<CommandResult> r = RunCommand(args, cli);
    EXPECT_OK(r.status());
    if (!r.ok()) return -1;
    outputs.push_back(r->out + r->err);
    return r->exit_code;
  };
  ASSERT_EQ(hallmark({"generate-key-pair", "--output-key-prefix", dir + "/cli"}), 0);
  ASSERT_OK_AND_ASSIGN(std::string third, h->PushImage("team/cli", "v1", "secrets-cli"));
  EXPECT_EQ(hallmark({"sign", "--key", dir + "/cli.key", third}), 0);
  ::hallmark::testing::WriteFileOrDie(dir + "/predicate.json", R"({"builder":{"id":"x"}})");
  EXPECT_EQ(hallmark({"attest", "--key", dir + "/cli.key", "--type", "slsaprovenance",
                      "--predicate", dir + "/predicate.json", third}),
            0);
  EXPECT_EQ(hallmark({"sign", "--key", dir + "/cli.key", h->registry().host() + "/team/none:x"}),
            1);  // an error path prints too
  EXPECT_EQ(hallmark({"verify", "--key", dir + "/cli.pub", "--insecure-ignore-tlog", third}), 0);

  // The webhook, whose policy holds the agent's public key: the agent's image is admitted.
  ASSERT_OK_AND_ASSIGN(e2e::WebhookTls tls, e2e::MakeWebhookTls(dir));
  ::hallmark::testing::WriteFileOrDie(dir + "/policy.yaml",
                                      e2e::KeyPolicyYaml("secrets", h->key().public_pem));
  ASSERT_OK_AND_ASSIGN(auto webhook,
                       e2e::WebhookProcess::Start({"--policy", dir + "/policy.yaml"}, tls, dir));
  for (const std::string& pod_image : {image, third}) {
    json review = {
        {"apiVersion", "admission.k8s.io/v1"},
        {"kind", "AdmissionReview"},
        {"request",
         {{"uid", "7a0c5d1e-0000-4000-8000-000000000001"},
          {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
          {"resource", {{"group", ""}, {"version", "v1"}, {"resource", "pods"}}},
          {"namespace", "ci"},
          {"name", "p"},
          {"operation", "CREATE"},
          {"userInfo", {{"username", "dev"}}},
          {"object",
           {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", "p"}, {"namespace", "ci"}}},
            {"spec", {{"containers", json::array({{{"name", "app"}, {"image", pod_image}}})}}}}}}}};
    ASSERT_OK_AND_ASSIGN(std::string reply, webhook->Post("/mutate", review.dump()));
    // The agent's key signed `image`; `third` is signed by the CLI key only: denied.
    EXPECT_EQ(json::parse(reply)["response"]["allowed"], pod_image == image) << reply;
  }
  webhook->Stop();

  std::vector<std::string> secrets = h->key().secrets;
  secrets.push_back(kToken0);
  secrets.push_back(kToken1);
  for (const std::string& s : SecretForms(dir + "/cli.key", kCliPassword)) secrets.push_back(s);
  const char* tmp = std::getenv("TEST_TMPDIR");
  ASSERT_NE(tmp, nullptr);
  std::vector<std::string> files;
  LogFiles(tmp, &files);
  size_t bytes = 0;
  bool saw_run = false;  // a control: what the logs should say is found
  int agent_logs = 0, apiserver_logs = 0, registry_logs = 0, webhook_logs = 0, request_logs = 0;
  for (const std::string& f : files) {
    ASSERT_OK_AND_ASSIGN(std::string text, ReadFile(f, 256 << 20));
    bytes += text.size();
    saw_run |= absl::StrContains(text, "TaskRun/ci/secret-1");
    agent_logs += absl::StrContains(f, "/agent-");
    apiserver_logs += absl::StrContains(f, "/apiserver");
    registry_logs += absl::StrContains(f, "/registry.log");
    webhook_logs += absl::StrContains(f, "/webhook.log");
    request_logs += absl::EndsWith(f, ".jsonl");
    for (size_t i = 0; i < secrets.size(); ++i) {
      EXPECT_FALSE(absl::StrContains(text, secrets[i]))
          << "secret #" << i << " (a password, token or private key encoding) is in " << f;
    }
  }
  for (size_t o = 0; o < outputs.size(); ++o) {
    for (size_t i = 0; i < secrets.size(); ++i) {
      EXPECT_FALSE(absl::StrContains(outputs[o], secrets[i]))
          << "secret #" << i << " is in the output of CLI call #" << o;
    }
  }
  // The search covered every component's log, and they are not empty.
  EXPECT_GE(agent_logs, 1);
  EXPECT_GE(apiserver_logs, 1);
  EXPECT_GE(registry_logs, 1);
  EXPECT_GE(webhook_logs, 1);
  EXPECT_GE(request_logs, 1);
  EXPECT_GT(bytes, 10000u);
  EXPECT_TRUE(saw_run);
  std::printf(
      "FIGURE {\"scenario\":\"no secret in any log\",\"files\":%zu,\"bytes\":%zu,"
      "\"secrets\":%zu,\"cli_outputs\":%zu}\n",
      files.size(), bytes, secrets.size(), outputs.size());
}

}  // namespace
}  // namespace hallmark::tests::security
