// `hallmark policy apply` as a user runs it: the built binary, the real registry, an image signed
// with `hallmark sign`, the upstream `kyverno apply` example (policies.yaml + resources.yaml) with
// our key and registry, the policies shipped in deploy/policies, and what is refused.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "base/testing/fixtures.h"
#include "base/testing/process.h"
#include "base/testing/status_matchers.h"
#include "base/yaml_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
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

std::string WithKey(const std::string& yaml, const std::string& pem) {
  std::vector<std::string> out;
  std::vector<std::string> lines = absl::StrSplit(yaml, '\n');
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

class PolicyApplyTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = TempDir(); }

  CommandResult Hallmark(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {RunfilePath("cmd/hallmark")};
    argv.insert(argv.end(), args.begin(), args.end());
    CommandOptions o;
    o.env["COSIGN_PASSWORD"] = "apply-test";
    o.env["DOCKER_CONFIG"] = dir_ + "/no-docker-config";
    absl::StatusOr<CommandResult> r = RunCommand(argv, o);
    EXPECT_OK(r.status());
    return r.ok() ? *r : CommandResult{};
  }

  std::string dir_;
};

TEST_F(PolicyApplyTest, UpstreamKyvernoApplyExampleAgainstTheRealRegistry) {
  ASSERT_OK_AND_ASSIGN(auto registry, registry::RegistryServer::Start());
  ASSERT_OK(registry->PushImage("kyverno/test-verify-image", "signed", "s").status());
  ASSERT_OK(registry->PushImage("kyverno/test-verify-image", "unsigned", "u").status());
  ASSERT_EQ(Hallmark({"generate-key-pair", "--output-key-prefix", dir_ + "/cosign"}).exit_code, 0);
  CommandResult sign = Hallmark({"sign", "--key", dir_ + "/cosign.key",
                                 registry->host() + "/kyverno/test-verify-image:signed"});
  ASSERT_EQ(sign.exit_code, 0) << sign.err;
  const std::string dir = "kyverno/policies/upstream-cli-verify-signature/";
  WriteFileOrDie(dir_ + "/policies.yaml",
                 WithKey(ReadFixture(dir + "policies.yaml"), ReadFileOrDie(dir_ + "/cosign.pub")));
  WriteFileOrDie(dir_ + "/resources.yaml",
                 absl::StrReplaceAll(ReadFixture(dir + "resources.yaml"),
                                     {{"ghcr.io/kyverno", registry->host() + "/kyverno"}}));
  CommandResult r = Hallmark({"policy", "apply", "--policy", dir_ + "/policies.yaml", "--resource",
                              dir_ + "/resources.yaml"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;  // an Enforce rule failed
  const std::string image = registry->host() + "/kyverno/test-verify-image";
  EXPECT_EQ(r.out, absl::StrCat("Applying 2 policy rule(s) to 4 resource(s)...\n\n"
                                "policy check-image -> resource default/Pod/unsigned failed:\n"
                                "1. verify-signature: failed to verify image ",
                                image,
                                ":unsigned: .attestors[0].entries[0].keys: no signatures found\n\n"
                                "policy check-data-volume-image -> resource "
                                "default/DataVolume/unsigned-registry-image-datavolume failed:\n"
                                "1. verify-signature: failed to verify image ",
                                image,
                                ":unsigned: .attestors[0].entries[0].keys: no signatures found\n\n"
                                "pass: 2, fail: 2, warn: 0, error: 0, skip: 0\n"));

  // -o yaml: the resources as admitted, the signed Pod pinned and annotated.
  r = Hallmark({"policy", "apply", "-p", dir_ + "/policies.yaml", "-r", dir_ + "/resources.yaml",
                "-o", "yaml"});
  ASSERT_OK_AND_ASSIGN(std::vector<nlohmann::json> docs, ParseYamlDocuments(r.out));
  ASSERT_EQ(docs.size(), 4u);
  const std::string pinned = docs[0]["spec"]["containers"][0]["image"].get<std::string>();
  EXPECT_THAT(pinned, HasSubstr(image + ":signed@sha256:"));
  EXPECT_TRUE(docs[0]["metadata"]["annotations"].contains("kyverno.io/verify-images"));
  EXPECT_THAT(r.err, HasSubstr("pass: 2, fail: 2"));
}

TEST_F(PolicyApplyTest, ShippedPoliciesLoadAndUnenforceableOnesAreRefused) {
  WriteFileOrDie(dir_ + "/pod.yaml",
                 "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: elsewhere}\n"
                 "spec: {containers: [{name: a, image: \"registry.example/app:v1\"}]}\n");
  // deploy/policies (3 policies, 9 rules with autogen) match Pods in other namespaces only:
  // loaded, nothing to check here.
  CommandResult r = Hallmark({"policy", "apply", "--policy", RunfilePath("deploy/policies"),
                              "--resource", dir_ + "/pod.yaml"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("Applying 9 policy rule(s) to 1 resource(s)..."));

  WriteFileOrDie(dir_ + "/keyless.yaml", R"(apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: keyless}
spec:
  rules:
    - name: r
      match: {any: [{resources: {kinds: [Pod]}}]}
      verifyImages:
        - imageReferences: ["*"]
          attestors: [{entries: [{keyless: {subject: x, issuer: y}}]}]
)");
  r = Hallmark(
      {"policy", "apply", "--policy", dir_ + "/keyless.yaml", "--resource", dir_ + "/pod.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("Error: failed to load policies: " + dir_ +
                               "/keyless.yaml: ClusterPolicy \"keyless\".spec.rules[0] (r)"
                               ".verifyImages[0].attestors[0].entries[0].keyless: keyless (Fulcio) "
                               "verification is not supported"));
}

}  // namespace
}  // namespace hallmark::tests::e2e
