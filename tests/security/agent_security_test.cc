// Security regressions of the signing agent, end to end (the real registry, hallmark-apiserver,
// the built `hallmark agent`), for the rows of perf-reliability.md §6 that concern it:
//  - CVE-2023-37264: a TaskRun that claims to be a PipelineRun's child (its label, a name in the
//    PipelineRun's childReferences) but whose ownerReference UID is not the PipelineRun's never
//    puts its results into the PipelineRun's provenance.
//  - tektoncd/chains#485: a TaskRun whose IMAGE_DIGEST is well formed but was never pushed gets
//    no `.sig`/`.att` and is never signed=true (an Event names the image; the run is retried
//    for the retry window, then marked signed=failed), while a pushed image in the same agent
//    is signed normally; with `tekton` storage only, no registry is asked (docs/compatibility.md).
// (Missing key -> never signed=true is tests/e2e/agent_faults_test
// MissingKeyWaitsWithAnEventThenSignsWhenTheSecretAppears.)
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "oci/content_digest.h"
#include "tests/e2e/agent_harness.h"
#include "tests/e2e/agent_harness_test_base.h"

namespace hallmark::tests::security {
namespace {

using e2e::AgentHarness;
using e2e::HarnessOptions;
using e2e::kRunNamespace;
using ::hallmark::testing::IsOkAndHolds;
using nlohmann::json;
using ::testing::HasSubstr;

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

// HeadsOf: docker-registry's access-log lines for a HEAD of `image`'s manifest by digest.
int HeadsOf(const std::string& registry_log, const std::string& image) {
  const std::string host = image.substr(0, image.find('/'));
  const std::string path = image.substr(host.size() + 1, image.find('@') - host.size() - 1);
  const std::string request =
      absl::StrCat("\"HEAD /v2/", path, "/manifests/", DigestOf(image), " HTTP/");
  int n = 0;
  for (absl::string_view line : absl::StrSplit(registry_log, '\n')) {
    n += absl::StrContains(line, request);
  }
  return n;
}

class AgentSecurityTest : public e2e::AgentHarnessTest {};

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

// tektoncd/chains#485: Chains signs whatever digest a Task claims. The agent asks the image's
// registry first (one HEAD per image per attempt) and stores nothing for a run whose digest is
// not there; registries can lag behind a push, so the run is retried for the retry window (3 s
// here), then marked signed=failed - and never signed=true. A pushed image signed by the same
// agent at the same time is not held up.
TEST_F(AgentSecurityTest, DigestNeverPushedIsNeverSignedAndThePushedOneIs) {
  HarnessOptions options;  // everything to oci
  options.agent_args = {"--retry-window",      "3s", "--retry-backoff", "200ms",
                        "--retry-max-backoff", "1s"};
  Start(options);
  ASSERT_OK_AND_ASSIGN(std::string pushed, h_->PushImage("team/app", "v1", "pushed"));
  // Well formed, in a repository that exists, never pushed.
  const std::string ghost =
      absl::StrCat(RepoOf(pushed), "@", oci::Sha256Of("an image nobody pushed").String());
  ASSERT_OK(h_->CompleteTaskRun({.name = "claims-ghost", .results = ImageResults(ghost)}).status());
  ASSERT_OK(h_->CompleteTaskRun({.name = "builds-app", .results = ImageResults(pushed)}).status());

  // The pushed image: signed normally, after one HEAD of its manifest.
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "builds-app").status());
  EXPECT_EQ(HeadsOf(h_->registry().Log(), pushed), 1) << h_->registry().Log();
  EXPECT_OK(h_->VerifyImage(pushed, h_->key().public_path));
  ASSERT_OK_AND_ASSIGN(std::vector<json> statements,
                       h_->VerifyAttestation(pushed, h_->key().public_path, "slsaprovenance"));
  ASSERT_EQ(statements.size(), 1u);
  EXPECT_EQ(statements[0]["subject"][0]["digest"]["sha256"], DigestOf(pushed).substr(7));

  // The ghost: never signed=true while it is retried, then signed=failed.
  std::string state;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (state != "failed" && absl::Now() < deadline) {
    ASSERT_OK_AND_ASSIGN(json run, h_->Get(kube::TaskRunsV1(), "claims-ghost"));
    state = run["metadata"]
                .value("annotations", json::object())
                .value("chains.tekton.dev/signed", std::string());
    ASSERT_NE(state, "true");
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(state, "failed");
  ASSERT_OK_AND_ASSIGN(json run, h_->Get(kube::TaskRunsV1(), "claims-ghost"));
  const std::string attempts =
      run["metadata"]["annotations"].value("chains.tekton.dev/retries", std::string());
  int attempt_count = 0;
  ASSERT_TRUE(absl::SimpleAtoi(attempts, &attempt_count)) << attempts;
  EXPECT_GE(attempt_count, 3);  // retried over the window, not failed at once
  // One HEAD per attempt (the `.sig` and the `.att` share it).
  EXPECT_EQ(HeadsOf(h_->registry().Log(), ghost), attempt_count);

  // The Events name the image and its digest.
  ASSERT_OK_AND_ASSIGN(std::vector<json> events, h_->Events("claims-ghost"));
  int not_in_registry = 0;
  bool gave_up = false;
  for (const json& e : events) {
    const std::string message = e.value("message", std::string());
    if (e["reason"] == "ImageNotInRegistry") {
      ++not_in_registry;
      EXPECT_THAT(message,
                  HasSubstr("image " + ghost + " : digest not found in the registry; not signing"));
    }
    if (e["reason"] == "SigningFailedPermanently") {
      gave_up = true;
      EXPECT_THAT(message, HasSubstr(DigestOf(ghost)));
    }
  }
  EXPECT_GE(not_in_registry, 2);
  EXPECT_TRUE(gave_up);

  // Nothing was pushed for it: the repository has the image and the pushed image's `.sig`/`.att`.
  const std::string pushed_tag = "sha256-" + DigestOf(pushed).substr(7);
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> tags, h_->Tags("team/app"));
  std::sort(tags.begin(), tags.end());
  EXPECT_EQ(tags, (std::vector<std::string>{pushed_tag + ".att", pushed_tag + ".sig", "v1"}));
  EXPECT_THAT(h_->CountLayers(ghost, "sig"), IsOkAndHolds(0));
  EXPECT_THAT(h_->CountLayers(ghost, "att"), IsOkAndHolds(0));
  EXPECT_THAT(h_->WaitForMetric("watcher_taskrun_marked_signed_total", 1), IsOkAndHolds(1.0));
}

// The decision in docs/compatibility.md: with `tekton` storage only nothing goes to a registry,
// so none is asked (the agent needs no registry access, as with Chains) and a claimed digest is
// signed into the run's annotations as Chains does.
TEST_F(AgentSecurityTest, TektonOnlyStorageAsksNoRegistry) {
  HarnessOptions options;
  options.config = {{"artifacts.taskrun.storage", "tekton"},
                    {"artifacts.pipelinerun.storage", "tekton"},
                    {"artifacts.oci.storage", "tekton"}};
  Start(options);
  const std::string ghost = absl::StrCat(h_->registry().host(), "/team/app@",
                                         oci::Sha256Of("claimed, never pushed").String());
  ASSERT_OK(
      h_->CompleteTaskRun({.name = "annotations-only", .results = ImageResults(ghost)}).status());
  ASSERT_OK_AND_ASSIGN(json run, h_->WaitForSigned(kube::TaskRunsV1(), "annotations-only"));
  const json annotations = run["metadata"]["annotations"];
  EXPECT_TRUE(annotations.contains("chains.tekton.dev/signature-" + DigestOf(ghost).substr(7, 12)));
  EXPECT_TRUE(annotations.contains("chains.tekton.dev/payload-taskrun-" + kube::MetaUid(run)));
  EXPECT_EQ(HeadsOf(h_->registry().Log(), ghost), 0);
  EXPECT_FALSE(absl::StrContains(h_->registry().Log(), "/v2/team/app/")) << h_->registry().Log();
}

}  // namespace
}  // namespace hallmark::tests::security
