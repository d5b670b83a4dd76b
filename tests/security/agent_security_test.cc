// Security regressions of the signing agent, end to end (the real registry, hallmark-apiserver,
// the built `hallmark agent`), for the rows of perf-reliability.md §6 that concern it:
//  - CVE-2023-37264: a TaskRun that claims to be a PipelineRun's child (its label, a name in the
//    PipelineRun's childReferences) but whose ownerReference UID is not the PipelineRun's never
//    puts its results into the PipelineRun's provenance.
// (Missing key -> never signed=true is tests/e2e/agent_faults_test
// MissingKeyWaitsWithAnEventThenSignsWhenTheSecretAppears.)
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/agent_harness.h"

namespace hallmark::tests::security {
namespace {

using e2e::AgentHarness;
using e2e::HarnessOptions;
using e2e::kRunNamespace;
using ::hallmark::testing::IsOkAndHolds;
using nlohmann::json;

std::string RepoOf(const std::string& image) { return image.substr(0, image.find('@')); }
std::string DigestOf(const std::string& image) { return image.substr(image.find('@') + 1); }

json ImageResults(const std::string& image) {
  return json::array({{{"name", "IMAGE_URL"}, {"value", RepoOf(image)}},
                      {{"name", "IMAGE_DIGEST"}, {"value", DigestOf(image)}}});
}

std::set<std::string> SubjectDigests(const json& statement) {
  std::set<std::string> out;
  for (const json& s : statement["subject"]) out.insert(s["digest"]["sha256"].get<std::string>());
  return out;
}

class AgentSecurityTest : public ::testing::Test {
 protected:
  void Start(HarnessOptions options = {}) {
    ASSERT_OK_AND_ASSIGN(h_, AgentHarness::Start(options));
  }
  void TearDown() override {
    if (h_ != nullptr) {
      EXPECT_OK(h_->NoSecretsInLogs());
    }
  }
  std::unique_ptr<AgentHarness> h_;
};

TEST_F(AgentSecurityTest, ForgedChildNeverReachesThePipelineRunsProvenance) {
  HarnessOptions options;
  options.config = {{"artifacts.taskrun.storage", "oci"},
                    {"artifacts.pipelinerun.storage", "oci"},
                    {"artifacts.pipelinerun.format", "slsa/v2alpha3"},
                    {"artifacts.pipelinerun.enable-deep-inspection", "true"}};
  Start(options);
  ASSERT_OK_AND_ASSIGN(std::string built, h_->PushImage("team/built", "v1", "built"));
  ASSERT_OK_AND_ASSIGN(std::string injected, h_->PushImage("evil/injected", "v1", "injected"));

  json pr = {{"apiVersion", "tekton.dev/v1"},
             {"kind", "PipelineRun"},
             {"metadata", {{"name", "release"}, {"namespace", kRunNamespace}}},
             {"spec", {{"pipelineRef", {{"name", "release"}}}}}};
  ASSERT_OK_AND_ASSIGN(json created, h_->kube().Create(kube::PipelineRunsV1(), kRunNamespace, pr));
  const std::string uid = kube::MetaUid(created);
  auto owner = [](const std::string& owner_uid) {
    return json::array({{{"apiVersion", "tekton.dev/v1"},
                         {"kind", "PipelineRun"},
                         {"name", "release"},
                         {"uid", owner_uid},
                         {"controller", true}}});
  };
  // The real child, and a TaskRun made by someone who can create TaskRuns: it carries the
  // PipelineRun's label and name, and won the race for a child's name, but its owner is not the
  // PipelineRun (an older PipelineRun of the same name, say).
  ASSERT_OK(h_->CompleteTaskRun({.name = "release-build",
                                 .results = ImageResults(built),
                                 .labels = {{"tekton.dev/pipelineRun", "release"},
                                            {"tekton.dev/pipelineTask", "build"}},
                                 .owner_references = owner(uid)})
                .status());
  ASSERT_OK(h_->CompleteTaskRun({.name = "release-scan",
                                 .results = ImageResults(injected),
                                 .labels = {{"tekton.dev/pipelineRun", "release"},
                                            {"tekton.dev/pipelineTask", "scan"}},
                                 .owner_references = owner("6f1b6c0e-0000-4000-8000-forgedforged")})
                .status());
  json status = {
      {"status",
       {{"conditions", {{{"type", "Succeeded"}, {"status", "True"}, {"reason", "Succeeded"}}}},
        {"startTime", "2026-01-01T00:00:00Z"},
        {"completionTime", "2026-01-01T00:05:00Z"},
        {"pipelineSpec",
         {{"tasks",
           {{{"name", "build"}, {"taskRef", {{"name", "build"}}}},
            {{"name", "scan"}, {"taskRef", {{"name", "scan"}}}}}}}},
        {"childReferences",
         {{{"apiVersion", "tekton.dev/v1"},
           {"kind", "TaskRun"},
           {"name", "release-build"},
           {"pipelineTaskName", "build"}},
          {{"apiVersion", "tekton.dev/v1"},
           {"kind", "TaskRun"},
           {"name", "release-scan"},
           {"pipelineTaskName", "scan"}}}}}}};
  kube::PatchOptions patch;
  patch.subresource = "status";
  ASSERT_OK(h_->kube()
                .Patch(kube::PipelineRunsV1(), kRunNamespace, "release", kube::PatchType::kMerge,
                       status.dump(), patch)
                .status());
  ASSERT_OK(h_->WaitForSigned(kube::PipelineRunsV1(), "release").status());

  // The real child's image carries its TaskRun's attestation and the PipelineRun's.
  ASSERT_OK_AND_ASSIGN(std::vector<json> built_statements,
                       h_->VerifyAttestation(built, h_->key().public_path, "slsaprovenance1"));
  ASSERT_EQ(built_statements.size(), 2u);
  const json* pr_statement = nullptr;
  for (const json& st : built_statements) {
    if (st["predicateType"] == "https://slsa.dev/provenance/v1") pr_statement = &st;
  }
  ASSERT_NE(pr_statement, nullptr);
  EXPECT_EQ((*pr_statement)["predicate"]["runDetails"]["metadata"]["invocationId"], uid);
  // The forged child's image is not a subject of the PipelineRun, and nothing of it is in the
  // PipelineRun's provenance.
  EXPECT_EQ(SubjectDigests(*pr_statement), (std::set<std::string>{DigestOf(built).substr(7)}));
  EXPECT_EQ(pr_statement->dump().find("evil/injected"), std::string::npos);
  EXPECT_EQ(pr_statement->dump().find(DigestOf(injected).substr(7)), std::string::npos);
  // What the forged TaskRun claims is signed as that TaskRun's own claim (Chains' trust model:
  // whoever may write TaskRun status is trusted for that TaskRun), never as the PipelineRun's.
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "release-scan").status());
  ASSERT_OK_AND_ASSIGN(std::vector<json> injected_statements,
                       h_->VerifyAttestation(injected, h_->key().public_path, "slsaprovenance"));
  ASSERT_EQ(injected_statements.size(), 1u);
  EXPECT_EQ(injected_statements[0]["predicateType"], "https://slsa.dev/provenance/v0.2");
  EXPECT_THAT(h_->CountLayers(injected, "att"), IsOkAndHolds(1));
}

}  // namespace
}  // namespace hallmark::tests::security
