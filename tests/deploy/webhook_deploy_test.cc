// The user guide's admission story through deploy/'s manifests, with real components: the real
// docker-registry, `hallmark sign`, hallmark-apiserver calling `hallmark webhook` as
// deploy/webhook's webhook configurations say (Service mapped to the local process, TLS and
// caBundle from gen-certs.sh), the guide's ClusterPolicy from deploy/policies applied with
// kubectl 1.32. Checks the allow and the deny (Kyverno's text), that the policy is followed live
// (deleting it admits), that the webhook fails closed yet never blocks kube-system or its own
// namespace, and that deploy/webhook's RBAC covers every API call the webhook made.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/deploy/deploy_test_base.h"
#include "tests/deploy/deployment_args.h"
#include "tests/deploy/rbac_coverage.h"
#include "tests/deploy/rbac_policy.h"
#include "tests/deploy/request_attributes.h"
#include "tests/registry/registry_server.h"

namespace hallmark::tests::deploy {
namespace {

using ::hallmark::testing::BackgroundProcess;
using ::hallmark::testing::CommandOptions;
using ::hallmark::testing::CommandResult;
using ::hallmark::testing::FreePort;
using ::hallmark::testing::ReadFileOrDie;
using ::hallmark::testing::RunfilePath;
using ::hallmark::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr char kPassword[] = "deploy-test-password";

// Whitespace runs collapsed to one space (the denial text is folded YAML).
std::string Squash(absl::string_view text) {
  return absl::StrJoin(absl::StrSplit(text, absl::ByAnyChar(" \n\t"), absl::SkipEmpty()), " ");
}

// The guide's policy with its example public key replaced by `pub` (indented as the file has it).
std::string GuidePolicyWithKey(const std::string& policy, const std::string& pub) {
  size_t begin = policy.find("-----BEGIN PUBLIC KEY-----");
  size_t end = policy.find("-----END PUBLIC KEY-----", begin);
  EXPECT_NE(begin, std::string::npos);
  EXPECT_NE(end, std::string::npos);
  size_t line_start = policy.rfind('\n', begin) + 1;
  std::string indent = policy.substr(line_start, begin - line_start);
  std::string key =
      absl::StrJoin(absl::StrSplit(absl::StripTrailingAsciiWhitespace(pub), '\n'), "\n" + indent);
  return policy.substr(0, begin) + key + policy.substr(end + strlen("-----END PUBLIC KEY-----"));
}

class WebhookDeployTest : public DeployTest {
 protected:
  WebhookDeployTest() : DeployTest(kPassword) {}
  void TearDown() override {
    if (webhook_ != nullptr) webhook_->Stop();
    DeployTest::TearDown();
  }

  std::unique_ptr<BackgroundProcess> webhook_;
};

TEST_F(WebhookDeployTest, GuideStoryThroughDeployManifests) {
  // The registry with a signed and an unsigned image.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<registry::RegistryServer> registry,
                       registry::RegistryServer::Start());
  ASSERT_OK_AND_ASSIGN(registry::TestImage signed_image,
                       registry->PushImage("test/chains/demo-1", "latest", "signed"));
  ASSERT_OK(registry->PushImage("test/chains/unsigned", "latest", "unsigned").status());
  std::string signed_ref =
      absl::StrCat(registry->host(), "/test/chains/demo-1:latest@", signed_image.digest.String());
  std::string unsigned_ref = registry->host() + "/test/chains/unsigned:latest";
  CommandResult r = Hallmark({"generate-key-pair"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Hallmark({"sign", "--key", "cosign.key", signed_ref});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;

  // The API server, with the webhook Service of deploy/webhook routed to a local port.
  int webhook_port = FreePort();
  ASSERT_OK(StartApiServer(
      {"--webhook-host",
       absl::StrCat("hallmark-webhook.hallmark-system.svc=127.0.0.1:", webhook_port)}));

  // Install as deploy/README.md says: CRDs (no Kyverno here), the webhook, its certificate.
  MustKubectl({"apply", "-k", deploy_ + "/webhook-crds"});
  MustKubectl({"apply", "-k", deploy_ + "/webhook"});
  CommandOptions with_kubectl;
  with_kubectl.env["KUBECTL"] = absl::StrJoin(KubectlArgv(), " ");
  r = Exec({deploy_ + "/webhook/gen-certs.sh", "--out", dir_ + "/certs", "--ip", "127.0.0.1"},
           with_kubectl);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  MustKubectl({"apply", "-f", RunfilePath("tests/deploy/testdata/registry-credentials.yaml")});
  WriteFileOrDie(dir_ + "/namespaces.yaml",
                 "apiVersion: v1\nkind: Namespace\nmetadata: {name: policy, labels: "
                 "{kubernetes.io/metadata.name: policy}}\n---\n"
                 "apiVersion: v1\nkind: Namespace\nmetadata: {name: kube-system, labels: "
                 "{kubernetes.io/metadata.name: kube-system}}\n");
  MustKubectl({"apply", "-f", dir_ + "/namespaces.yaml"});
  // The guide's policy with our public key.
  WriteFileOrDie(
      dir_ + "/policy.yaml",
      GuidePolicyWithKey(ReadFileOrDie(deploy_ + "/policies/only-cosign-image-deploy.yaml"),
                         ReadFileOrDie(dir_ + "/cosign.pub")));
  MustKubectl({"apply", "-f", dir_ + "/policy.yaml"});
  if (HasFailure()) return;

  // The webhook with deploy/webhook/deployment.yaml's own args; only what a cluster provides is
  // replaced: API access by kubeconfig instead of the ServiceAccount (--in-cluster), the mounted
  // TLS Secret and (empty) policies ConfigMap, the listen address, and POD_NAMESPACE.
  std::string empty_policies = dir_ + "/policies";
  ASSERT_EQ(Exec({"mkdir", "-p", empty_policies}).exit_code, 0);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> args,
                       ContainerArgs(MustKubectl({"kustomize", deploy_ + "/webhook"}),
                                     "hallmark-webhook", "webhook"));
  std::vector<std::string> argv = {RunfilePath("cmd/hallmark")};
  for (const std::string& a :
       Substitute(args, {{"--in-cluster", "--kubeconfig=" + kubeconfig_},
                         {"/etc/hallmark/policies", empty_policies},
                         {"/etc/hallmark/tls", dir_ + "/certs"},
                         {"--listen=:8443", absl::StrCat("--listen=127.0.0.1:", webhook_port)}})) {
    argv.push_back(a);
  }
  EXPECT_THAT(absl::StrJoin(argv, " "), HasSubstr("--budget="));
  CommandOptions env;
  env.env["POD_NAMESPACE"] = "hallmark-system";  // the Deployment's fieldRef
  ASSERT_OK_AND_ASSIGN(webhook_, BackgroundProcess::Start(argv, dir_ + "/webhook.log", env));
  ASSERT_OK(webhook_->WaitForOutput("listening on https://", absl::Seconds(20)));
  // Ready once the policy is loaded from the API server.
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  bool ready = false;
  while (!ready && absl::Now() < deadline) {
    CommandResult probe =
        Exec({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
              dir_ + "/certs/ca.crt", absl::StrCat("https://127.0.0.1:", webhook_port, "/readyz")});
    ready = probe.out == "200";
    if (!ready) absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_TRUE(ready) << webhook_->Log();

  // Guide step: the signed image is admitted...
  EXPECT_THAT(MustKubectl({"run", "-n", "policy", "signed", "--image=" + signed_ref, "--", "sleep",
                           "3600"}),
              HasSubstr("pod/signed created"));
  std::string pod = MustKubectl({"get", "pod", "signed", "-n", "policy", "-o", "json"});
  nlohmann::json pod_json = nlohmann::json::parse(pod, nullptr, false);
  ASSERT_FALSE(pod_json.is_discarded());
  EXPECT_THAT(pod_json["metadata"]["annotations"].value("kyverno.io/verify-images", ""),
              HasSubstr("\"pass\""));
  // ...the unsigned one is denied with Kyverno's text.
  r = Kubectl(
      {"run", "-n", "policy", "unsigned", "--image=" + unsigned_ref, "--", "sleep", "3600"});
  EXPECT_NE(r.exit_code, 0);
  std::string denial = Squash(r.err);
  EXPECT_THAT(denial, HasSubstr("Error from server: admission webhook \"mutate.hallmark.dev\" "
                                "denied the request:"));
  EXPECT_THAT(denial, HasSubstr("resource Pod/policy/unsigned was blocked due to the following "
                                "policies"));
  EXPECT_THAT(denial, HasSubstr(absl::StrCat("only-cosign-image-deploy: check-image: 'failed to "
                                             "verify image ",
                                             unsigned_ref,
                                             ": .attestors[0].entries[0].keys: no signatures "
                                             "found'")));
  // Outside namespace `policy` the guide's policy does not apply.
  EXPECT_THAT(MustKubectl({"run", "-n", "default", "elsewhere", "--image=" + unsigned_ref}),
              HasSubstr("pod/elsewhere created"));

  // Guide cleanup; the webhook follows the policy's deletion.
  MustKubectl({"delete", "pod", "-n", "policy", "signed"});
  MustKubectl({"delete", "clusterpolicy", "only-cosign-image-deploy"});
  bool admitted = false;
  for (int i = 0; i < 50 && !admitted; ++i) {
    admitted =
        Kubectl({"run", "-n", "policy", "after-cleanup", "--image=" + unsigned_ref}).exit_code == 0;
    if (!admitted) absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_TRUE(admitted) << "the deleted policy is still enforced";

  // Fail closed: with the webhook down nothing is admitted, except in kube-system and the
  // webhook's own namespace, where the repair happens.
  webhook_->Stop();
  r = Kubectl({"run", "-n", "policy", "while-down", "--image=" + signed_ref});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("failed calling webhook \"mutate.hallmark.dev\""));
  for (const char* ns : {"kube-system", "hallmark-system"}) {
    EXPECT_THAT(MustKubectl({"run", "-n", ns, "repair", "--image=" + unsigned_ref}),
                HasSubstr("pod/repair created"))
        << ns;
  }
  apiserver_->Stop();

  // Every API call the webhook made is allowed by deploy/webhook's RBAC.
  ASSERT_OK_AND_ASSIGN(std::vector<LoggedRequest> requests,
                       ParseRequestLog(ReadFileOrDie(dir_ + "/requests.jsonl")));
  ASSERT_OK_AND_ASSIGN(RbacPolicy rbac,
                       RbacPolicy::Parse(ReadFileOrDie(deploy_ + "/webhook/rbac.yaml")));
  ASSERT_OK_AND_ASSIGN(
      CoverageReport report,
      CheckCoverage(rbac, {"hallmark-system", "hallmark-webhook"}, requests, "hallmark-webhook"));
  EXPECT_GE(report.checked, 2u);
  EXPECT_THAT(report.uncovered, IsEmpty()) << absl::StrJoin(report.uncovered, "\n");
  EXPECT_THAT(report.unused, IsEmpty()) << absl::StrJoin(report.unused, "\n");
  // Our request -> RBAC attribute mapping agrees with the server's for every logged request.
  size_t compared = 0;
  EXPECT_THAT(MismatchesWithServer(requests, &compared), IsEmpty());
  EXPECT_GE(compared, report.checked);
}

}  // namespace
}  // namespace hallmark::tests::deploy
