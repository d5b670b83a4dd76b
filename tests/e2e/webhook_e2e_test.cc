// The user guide's scenario ("Image Signature Verification", shared/fixtures/seed), end to end
// with real components only: Debian's docker-registry holding the images, `hallmark
// generate-key-pair` and `hallmark sign` making the signature, hallmark-apiserver calling
// `hallmark webhook` (its own process, HTTPS, configured by Mutating/ValidatingWebhookConfiguration
// objects applied with kubectl), the guide's ClusterPolicy applied with kubectl and watched by the
// webhook, and kubectl 1.32 running the Pods.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "base/file.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/apiserver/testing/apiserver_process.h"
#include "tests/e2e/webhook_harness.h"
#include "tests/registry/registry_server.h"

namespace hallmark::tests::e2e {
namespace {

using ::hallmark::testing::CommandOptions;
using ::hallmark::testing::CommandResult;
using ::hallmark::testing::ReadFileOrDie;
using ::hallmark::testing::ReadFixture;
using ::hallmark::testing::RunCommand;
using ::hallmark::testing::RunfilePath;
using ::hallmark::testing::TempDir;
using ::hallmark::testing::WriteFileOrDie;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kKubectl[] = "/usr/lib/google-cloud-sdk/bin/kubectl.1.32";
constexpr char kPassword[] = "guide-password-0123";  // must never appear in the webhook's log
constexpr char kRegistryPassword[] = "registry-secret-987";

// The guide's policy with its example key replaced by `pem` (block scalar, same indentation).
std::string GuidePolicy(const std::string& pem) {
  std::string text = ReadFixture("seed/kyverno.only-cosign-image-deploy.yaml");
  std::vector<std::string> out;
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  for (size_t i = 0; i < lines.size(); ++i) {
    size_t at = lines[i].find("-----BEGIN PUBLIC KEY-----");
    if (at == std::string::npos) {
      out.push_back(lines[i]);
      continue;
    }
    std::string indent = lines[i].substr(0, at);
    while (lines[i].find("-----END PUBLIC KEY-----") == std::string::npos) ++i;
    for (absl::string_view l : absl::StrSplit(pem, '\n', absl::SkipEmpty())) {
      out.push_back(indent + std::string(l));
    }
  }
  return absl::StrJoin(out, "\n");
}

class WebhookE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir();
    ASSERT_OK_AND_ASSIGN(registry_, registry::RegistryServer::Start());
    ASSERT_OK_AND_ASSIGN(api_, apiserver::testing::ApiserverProcess::Start({}));
    kubeconfig_ = dir_ + "/kubeconfig";
    api_->WriteKubeconfig(kubeconfig_);
    ASSERT_OK_AND_ASSIGN(tls_, MakeWebhookTls(dir_));

    // The signer's key pair and the two images of the guide.
    CommandResult gen = Hallmark({"generate-key-pair", "--output-key-prefix", dir_ + "/cosign"});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    ASSERT_OK_AND_ASSIGN(auto demo, registry_->PushImage("test/chains/demo-1", "latest", "demo"));
    ASSERT_OK_AND_ASSIGN(auto unsig,
                         registry_->PushImage("test/chains/unsigned", "latest", "unsigned"));
    demo_digest_ = demo.digest.String();
    signed_ref_ = registry_->host() + "/test/chains/demo-1:latest";
    unsigned_ref_ = registry_->host() + "/test/chains/unsigned:latest";
    CommandResult sign = Hallmark({"sign", "--key", dir_ + "/cosign.key", signed_ref_});
    ASSERT_EQ(sign.exit_code, 0) << sign.err;

    // The cluster side: namespaces, the registry Secret the policy names, the policy.
    MustKubectl({"create", "namespace", "policy"});
    MustKubectl({"create", "namespace", "hallmark-system"});
    MustKubectl({"create", "secret", "docker-registry", "registry-credentials", "-n",
                 "hallmark-system", "--docker-server", registry_->host(), "--docker-username",
                 "builder", "--docker-password", kRegistryPassword});
    WriteFileOrDie(dir_ + "/policy.yaml", GuidePolicy(ReadFileOrDie(dir_ + "/cosign.pub")));
    MustKubectl({"apply", "-f", dir_ + "/policy.yaml"});

    // The webhook, watching ClusterPolicies through the API server.
    ASSERT_OK_AND_ASSIGN(webhook_,
                         WebhookProcess::Start({"--kubeconfig", kubeconfig_, "--namespace",
                                                "hallmark-system", "--budget", "8s"},
                                               tls_, dir_));
    std::string ca = absl::Base64Escape(tls_.ca_pem);
    WriteFileOrDie(dir_ + "/webhooks.yaml",
                   absl::StrCat(R"(apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: hallmark-verify-images
webhooks:
  - name: mutate.hallmark.dev
    clientConfig:
      url: )",
                                webhook_->url(), R"(/mutate
      caBundle: )",
                                ca, R"(
    rules:
      - operations: ["CREATE", "UPDATE"]
        apiGroups: [""]
        apiVersions: ["v1"]
        resources: ["pods"]
    failurePolicy: Fail
    sideEffects: None
    timeoutSeconds: 10
    admissionReviewVersions: ["v1"]
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: hallmark-verify-images
webhooks:
  - name: validate.hallmark.dev
    clientConfig:
      url: )",
                                webhook_->url(), R"(/validate
      caBundle: )",
                                ca, R"(
    rules:
      - operations: ["CREATE", "UPDATE"]
        apiGroups: [""]
        apiVersions: ["v1"]
        resources: ["pods"]
    failurePolicy: Fail
    sideEffects: None
    timeoutSeconds: 10
    admissionReviewVersions: ["v1"]
)"));
    MustKubectl({"apply", "-f", dir_ + "/webhooks.yaml"});
  }

  void TearDown() override {
    if (webhook_ != nullptr) {
      std::string log = webhook_->Log();
      for (const std::string& secret :
           {std::string(kPassword), std::string(kRegistryPassword),
            absl::Base64Escape(absl::StrCat("builder:", kRegistryPassword))}) {
        EXPECT_THAT(log, ::testing::Not(HasSubstr(secret))) << "secret in the webhook's log";
      }
    }
  }

  CommandResult Hallmark(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {RunfilePath("cmd/hallmark")};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandOptions o;
    o.env["COSIGN_PASSWORD"] = kPassword;
    o.env["DOCKER_CONFIG"] = dir_ + "/no-docker-config";
    absl::StatusOr<CommandResult> r = RunCommand(argv, o);
    EXPECT_OK(r.status());
    return r.ok() ? *r : CommandResult{};
  }

  CommandResult Kubectl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {kKubectl, "--kubeconfig", kubeconfig_, "--cache-dir",
                                     dir_ + "/kube-cache"};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<CommandResult> r = RunCommand(argv);
    EXPECT_OK(r.status());
    return r.ok() ? *r : CommandResult{};
  }

  std::string MustKubectl(const std::vector<std::string>& args) {
    CommandResult r = Kubectl(args);
    EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\n" << r.out << r.err;
    return r.out;
  }

  json Pod(const std::string& ns, const std::string& name) {
    std::string out = MustKubectl({"get", "pod", "-n", ns, name, "-o", "json"});
    json j = json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
  }

  std::string dir_, kubeconfig_, demo_digest_, signed_ref_, unsigned_ref_;
  std::unique_ptr<registry::RegistryServer> registry_;
  std::unique_ptr<apiserver::testing::ApiserverProcess> api_;
  WebhookTls tls_;
  std::unique_ptr<WebhookProcess> webhook_;
};

TEST_F(WebhookE2eTest, TheGuidesScenario) {
  // 1. The signed image is admitted, pinned to the digest that was verified, and annotated.
  CommandResult ok =
      Kubectl({"run", "-n", "policy", "signed", "--image=" + signed_ref_, "--", "sleep", "3600"});
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "pod/signed created\n");
  json pod = Pod("policy", "signed");
  EXPECT_EQ(pod["spec"]["containers"][0]["image"], signed_ref_ + "@" + demo_digest_);
  json statuses =
      json::parse(pod["metadata"]["annotations"]["kyverno.io/verify-images"].get<std::string>());
  EXPECT_EQ(statuses, json({{registry_->host() + "/test/chains/demo-1@" + demo_digest_, "pass"}}));

  // The guide's own form, tag@digest, is admitted as it is.
  ok = Kubectl(
      {"run", "-n", "policy", "signed-pinned", "--image=" + signed_ref_ + "@" + demo_digest_});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;

  // 2. The unsigned image is denied with Kyverno's text.
  CommandResult denied = Kubectl(
      {"run", "-n", "policy", "unsigned", "--image=" + unsigned_ref_, "--", "sleep", "3600"});
  EXPECT_EQ(denied.exit_code, 1);
  EXPECT_EQ(
      denied.err,
      absl::StrCat(
          "Error from server: admission webhook \"mutate.hallmark.dev\" denied the request: \n\n"
          "resource Pod/policy/unsigned was blocked due to the following policies \n\n"
          "only-cosign-image-deploy:\n"
          "  check-image: 'failed to verify image ",
          unsigned_ref_,
          ":\n"
          "    .attestors[0].entries[0].keys: no signatures found'\n"));
  EXPECT_EQ(Kubectl({"get", "pod", "-n", "policy", "unsigned"}).exit_code, 1);  // not stored

  // 3. Images under ghcr.io/trusted/ are skipped: there is no network here, so any registry
  //    access would have failed (and denied, fail closed).
  ok = Kubectl({"run", "-n", "policy", "trusted", "--image=ghcr.io/trusted/tool:1.0"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  pod = Pod("policy", "trusted");
  EXPECT_EQ(pod["spec"]["containers"][0]["image"], "ghcr.io/trusted/tool:1.0");
  EXPECT_EQ(
      json::parse(pod["metadata"]["annotations"]["kyverno.io/verify-images"].get<std::string>()),
      json({{"ghcr.io/trusted/tool:1.0", "skip"}}));

  // 4. Pods outside namespace `policy` are not checked.
  ok = Kubectl({"run", "-n", "default", "elsewhere", "--image=" + unsigned_ref_});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  pod = Pod("default", "elsewhere");
  EXPECT_EQ(pod["spec"]["containers"][0]["image"], unsigned_ref_);
  EXPECT_FALSE(pod["metadata"].contains("annotations") &&
               pod["metadata"]["annotations"].contains("kyverno.io/verify-images"));

  // 5. An UPDATE that swaps in the unsigned image is denied too.
  CommandResult swap =
      Kubectl({"set", "image", "-n", "policy", "pod/signed", "signed=" + unsigned_ref_});
  EXPECT_NE(swap.exit_code, 0);
  EXPECT_THAT(swap.err, HasSubstr("failed to verify image " + unsigned_ref_));

  // The cleanup of the guide.
  MustKubectl({"delete", "pod", "-n", "policy", "signed"});
  MustKubectl({"delete", "clusterpolicy", "only-cosign-image-deploy"});

  // Metrics and the JSON log line of the denial.
  ASSERT_OK_AND_ASSIGN(std::string metrics, webhook_->Get("/metrics"));
  EXPECT_THAT(
      metrics,
      HasSubstr("hallmark_webhook_admissions_total{path=\"mutate\",decision=\"denied\"} 2"));
  EXPECT_THAT(metrics,
              HasSubstr("hallmark_webhook_admission_duration_seconds_bucket{path=\"mutate\""));
  std::string log = webhook_->Log();
  EXPECT_THAT(log, HasSubstr("\"msg\":\"admission denied\""));
  EXPECT_THAT(log, HasSubstr("\"name\":\"unsigned\""));
}

TEST_F(WebhookE2eTest, PolicyEditsAreFollowedAndUnenforceablePoliciesRefused) {
  // Replace the key by another one: the signed image no longer verifies.
  CommandResult gen = Hallmark({"generate-key-pair", "--output-key-prefix", dir_ + "/other"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  WriteFileOrDie(dir_ + "/policy2.yaml", GuidePolicy(ReadFileOrDie(dir_ + "/other.pub")));
  MustKubectl({"apply", "-f", dir_ + "/policy2.yaml"});
  CommandResult r;
  for (int i = 0; i < 100; ++i) {  // the watch delivers the edit within milliseconds
    r = Kubectl({"run", "-n", "policy", absl::StrCat("p", i), "--image=" + signed_ref_});
    if (r.exit_code != 0) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_EQ(r.exit_code, 1);
  // The message folds at column 80 (yaml.v2); compare with the whitespace normalised.
  std::vector<std::string> words = absl::StrSplit(r.err, absl::ByAnyChar(" \n"), absl::SkipEmpty());
  EXPECT_THAT(absl::StrJoin(words, " "),
              HasSubstr("check-image: 'failed to verify image " + signed_ref_ +
                        ": .attestors[0].entries[0].keys: no matching signatures: invalid "
                        "signature when validating ASN.1 encoded signature'"));

  // A keyless policy cannot be enforced: the webhook refuses it and says why in its log.
  WriteFileOrDie(dir_ + "/keyless.yaml", R"(apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata:
  name: keyless-only
spec:
  rules:
    - name: keyless
      match:
        any:
          - resources:
              kinds: [Pod]
      verifyImages:
        - imageReferences: ["*"]
          attestors:
            - entries:
                - keyless:
                    subject: "https://github.com/example/*"
                    issuer: https://token.actions.githubusercontent.com
)");
  MustKubectl({"apply", "-f", dir_ + "/keyless.yaml"});
  absl::Status seen = absl::DeadlineExceededError("not logged");
  for (int i = 0; i < 100 && !seen.ok(); ++i) {
    if (absl::StrContains(webhook_->Log(), "keyless (Fulcio) verification is not supported")) {
      seen = absl::OkStatus();
    } else {
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
  EXPECT_OK(seen);
  EXPECT_THAT(webhook_->Log(), HasSubstr("ClusterPolicy \\\"keyless-only\\\""));
}

}  // namespace
}  // namespace hallmark::tests::e2e
