// End-to-end: `hallmark agent` (the built binary) against hallmark-apiserver and the real
// docker-registry signs completed TaskRuns and PipelineRuns; what it pushes verifies with
// `hallmark verify`/`verify-attestation`, the openssl CLI and python3-securesystemslib.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/encoding.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/kube_client.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/agent_harness.h"
#include "tests/e2e/agent_harness_test_base.h"

namespace hallmark::tests::e2e {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

json ImageResults(const std::string& url, const std::string& digest) {
  return json::array(
      {{{"name", "IMAGE_URL"}, {"value", url}}, {{"name", "IMAGE_DIGEST"}, {"value", digest}}});
}

std::string DigestOf(const std::string& image) { return image.substr(image.find('@') + 1); }
std::string RepoOf(const std::string& image) { return image.substr(0, image.find('@')); }

std::set<std::string> SubjectDigests(const json& statement) {
  std::set<std::string> out;
  for (const json& s : statement["subject"]) out.insert(s["digest"]["sha256"].get<std::string>());
  return out;
}

class AgentSigningTest : public AgentHarnessTest {};

TEST_F(AgentSigningTest, TaskRunImageIsSignedOnceAndVerifiesEverywhere) {
  Start();
  ASSERT_OK_AND_ASSIGN(std::string image, h_->PushImage("team/app", "v1", "one"));
  // Kaniko/buildah write the URL with its tag: Chains drops the tag.
  ASSERT_OK(h_->CompleteTaskRun({.name = "build-1",
                                 .results = ImageResults(RepoOf(image) + ":v1", DigestOf(image))})
                .status());
  ASSERT_OK_AND_ASSIGN(json run, h_->WaitForSigned(kube::TaskRunsV1(), "build-1"));
  EXPECT_FALSE(run["metadata"]["annotations"].contains("chains.tekton.dev/retries"));

  EXPECT_OK(h_->VerifyImage(image, h_->key().public_path));
  ASSERT_OK_AND_ASSIGN(std::vector<json> statements,
                       h_->VerifyAttestation(image, h_->key().public_path, "slsaprovenance"));
  ASSERT_EQ(statements.size(), 1u);
  EXPECT_EQ(statements[0]["_type"], "https://in-toto.io/Statement/v0.1");
  EXPECT_EQ(statements[0]["predicateType"], "https://slsa.dev/provenance/v0.2");
  EXPECT_EQ(statements[0]["subject"][0]["name"], RepoOf(image));
  EXPECT_EQ(statements[0]["subject"][0]["digest"]["sha256"], DigestOf(image).substr(7));
  EXPECT_EQ(statements[0]["predicate"]["buildType"], "tekton.dev/v1/TaskRun");
  EXPECT_THAT(h_->CountLayers(image, "sig"), ::hallmark::testing::IsOkAndHolds(1));
  EXPECT_THAT(h_->CountLayers(image, "att"), ::hallmark::testing::IsOkAndHolds(1));

  // A key that is not the agent's does not verify (the checks above can fail).
  ASSERT_OK_AND_ASSIGN(SigningKey other, h_->NewKey());
  EXPECT_FALSE(h_->VerifyImage(image, other.public_path).ok());

  // The whole API cost of this run: one GET and one PATCH of it.
  ASSERT_OK_AND_ASSIGN(std::vector<json> requests, h_->AgentRequests());
  int gets = 0, patches = 0;
  for (const json& r : requests) {
    if (r["path"] == "/apis/tekton.dev/v1/namespaces/ci/taskruns/build-1") {
      gets += r["method"] == "GET";
      patches += r["method"] == "PATCH";
    }
  }
  EXPECT_EQ(gets, 1);
  EXPECT_EQ(patches, 1);

  ASSERT_OK_AND_ASSIGN(double marked, h_->WaitForMetric("watcher_taskrun_marked_signed_total", 1));
  EXPECT_EQ(marked, 1);
  ASSERT_OK_AND_ASSIGN(double created, h_->MetricValue("watcher_taskrun_sign_created_total"));
  EXPECT_EQ(created, 2);
  ASSERT_OK_AND_ASSIGN(double latency,
                       h_->WaitForMetric("hallmark_run_sign_latency_seconds_count", 1));
  EXPECT_EQ(latency, 1);
  ASSERT_OK_AND_ASSIGN(double loads, h_->MetricValue("hallmark_key_loads_total"));
  EXPECT_EQ(loads, 1);
}

TEST_F(AgentSigningTest, ImagesResultWithSeveralImages) {
  Start();
  ASSERT_OK_AND_ASSIGN(std::string a, h_->PushImage("team/a", "v1", "a"));
  ASSERT_OK_AND_ASSIGN(std::string b, h_->PushImage("team/b", "v1", "b"));
  ASSERT_OK_AND_ASSIGN(std::string c, h_->PushImage("team/c", "v1", "c"));
  json results = json::array(
      {{{"name", "IMAGES"}, {"value", absl::StrCat(a, ", ", b, "\n", c, "\n", a, "\n")}}});
  ASSERT_OK(h_->CompleteTaskRun({.name = "multi", .results = results}).status());
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "multi").status());
  std::set<std::string> all = {DigestOf(a).substr(7), DigestOf(b).substr(7), DigestOf(c).substr(7)};
  for (const std::string& image : {a, b, c}) {
    SCOPED_TRACE(image);
    EXPECT_OK(h_->VerifyImage(image, h_->key().public_path));
    ASSERT_OK_AND_ASSIGN(std::vector<json> statements,
                         h_->VerifyAttestation(image, h_->key().public_path, "slsaprovenance"));
    ASSERT_EQ(statements.size(), 1u);
    EXPECT_EQ(SubjectDigests(statements[0]), all);
    EXPECT_THAT(h_->CountLayers(image, "sig"), ::hallmark::testing::IsOkAndHolds(1));
  }
}

TEST_F(AgentSigningTest, PipelineRunWithDeepInspectionIsSignedAfterItsChildren) {
  HarnessOptions options;
  options.config = {{"artifacts.taskrun.storage", "oci"},
                    {"artifacts.pipelinerun.storage", "oci"},
                    {"artifacts.pipelinerun.format", "slsa/v2alpha3"},
                    {"artifacts.pipelinerun.enable-deep-inspection", "true"}};
  Start(options);
  ASSERT_OK_AND_ASSIGN(std::string built, h_->PushImage("team/built", "v1", "built"));
  ASSERT_OK_AND_ASSIGN(std::string bundled, h_->PushImage("team/bundle", "v1", "bundle"));
  ASSERT_OK_AND_ASSIGN(std::string released, h_->PushImage("team/release", "v1", "release"));

  // The PipelineRun exists first (its uid goes into the children's ownerReferences); it
  // completes last, after Tekton has completed both children.
  json pr = {{"apiVersion", "tekton.dev/v1"},
             {"kind", "PipelineRun"},
             {"metadata", {{"name", "release"}, {"namespace", kRunNamespace}}},
             {"spec", {{"pipelineRef", {{"name", "release"}}}}}};
  ASSERT_OK_AND_ASSIGN(json created, h_->kube().Create(kube::PipelineRunsV1(), kRunNamespace, pr));
  std::string uid = kube::MetaUid(created);
  json owner = json::array({{{"apiVersion", "tekton.dev/v1"},
                             {"kind", "PipelineRun"},
                             {"name", "release"},
                             {"uid", uid},
                             {"controller", true}}});
  struct Child {
    std::string name, task, image;
  };
  for (const Child& child :
       {Child{"release-build", "build", built}, Child{"release-bundle", "bundle", bundled}}) {
    ASSERT_OK(
        h_->CompleteTaskRun({.name = child.name,
                             .results = ImageResults(RepoOf(child.image), DigestOf(child.image)),
                             .labels = {{"tekton.dev/pipelineRun", "release"},
                                        {"tekton.dev/pipelineTask", child.task}},
                             .owner_references = owner})
            .status());
  }
  json status = {
      {"status",
       {{"conditions", {{{"type", "Succeeded"}, {"status", "True"}, {"reason", "Succeeded"}}}},
        {"startTime", "2026-01-01T00:00:00Z"},
        {"completionTime", "2026-01-01T00:05:00Z"},
        {"pipelineSpec",
         {{"tasks",
           {{{"name", "build"}, {"taskRef", {{"name", "build"}}}},
            {{"name", "bundle"}, {"taskRef", {{"name", "bundle"}}}, {"runAfter", {"build"}}}}}}},
        {"childReferences",
         {{{"apiVersion", "tekton.dev/v1"},
           {"kind", "TaskRun"},
           {"name", "release-build"},
           {"pipelineTaskName", "build"}},
          {{"apiVersion", "tekton.dev/v1"},
           {"kind", "TaskRun"},
           {"name", "release-bundle"},
           {"pipelineTaskName", "bundle"}}}},
        {"results", ImageResults(RepoOf(released), DigestOf(released))}}}};
  kube::PatchOptions patch;
  patch.subresource = "status";
  ASSERT_OK(h_->kube()
                .Patch(kube::PipelineRunsV1(), kRunNamespace, "release", kube::PatchType::kMerge,
                       status.dump(), patch)
                .status());

  ASSERT_OK_AND_ASSIGN(json signed_pr, h_->WaitForSigned(kube::PipelineRunsV1(), "release"));
  for (const char* child : {"release-build", "release-bundle"}) {
    ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), child).status());
  }
  // No .sig for a pipeline result (Chains pushes none), one PipelineRun attestation.
  EXPECT_THAT(h_->CountLayers(released, "sig"), ::hallmark::testing::IsOkAndHolds(0));
  ASSERT_OK_AND_ASSIGN(std::vector<json> statements,
                       h_->VerifyAttestation(released, h_->key().public_path, "slsaprovenance1"));
  ASSERT_EQ(statements.size(), 1u);
  const json& st = statements[0];
  EXPECT_EQ(st["predicateType"], "https://slsa.dev/provenance/v1");
  EXPECT_EQ(st["predicate"]["runDetails"]["metadata"]["invocationId"], uid);
  // Deep inspection: the children's images are subjects of the PipelineRun too.
  EXPECT_EQ(SubjectDigests(st),
            (std::set<std::string>{DigestOf(built).substr(7), DigestOf(bundled).substr(7),
                                   DigestOf(released).substr(7)}));
  // So each child image carries its TaskRun's attestation and the PipelineRun's.
  for (const std::string& image : {built, bundled}) {
    SCOPED_TRACE(image);
    EXPECT_OK(h_->VerifyImage(image, h_->key().public_path));
    ASSERT_OK_AND_ASSIGN(std::vector<json> both,
                         h_->VerifyAttestation(image, h_->key().public_path, "slsaprovenance1"));
    ASSERT_EQ(both.size(), 2u);
    std::set<std::string> types = {both[0]["predicateType"], both[1]["predicateType"]};
    EXPECT_EQ(types, (std::set<std::string>{"https://slsa.dev/provenance/v0.2",
                                            "https://slsa.dev/provenance/v1"}));
  }
  ASSERT_OK_AND_ASSIGN(double marked,
                       h_->WaitForMetric("watcher_pipelinerun_marked_signed_total", 1));
  EXPECT_EQ(marked, 1);
}

TEST_F(AgentSigningTest, FailedRunsRunsWithoutImagesAndMalformedResultsEndSigned) {
  Start();
  ASSERT_OK_AND_ASSIGN(std::string image, h_->PushImage("team/app", "v1", "failed"));
  ASSERT_OK(h_->CompleteTaskRun({.name = "failed",
                                 .results = ImageResults(RepoOf(image), DigestOf(image)),
                                 .succeeded = "False"})
                .status());
  ASSERT_OK(h_->CompleteTaskRun({.name = "no-images"}).status());
  json malformed = json::array({{{"name", "IMAGE_URL"}, {"value", RepoOf(image)}},
                                {{"name", "IMAGE_DIGEST"}, {"value", "sha256:a123"}},
                                {{"name", "IMAGES"}, {"value", "not an image, also@wrong"}},
                                {{"name", "x-ARTIFACT_OUTPUTS"}, {"value", {{"uri", "u"}}}}});
  ASSERT_OK(h_->CompleteTaskRun({.name = "malformed", .results = malformed}).status());
  for (const char* name : {"failed", "no-images", "malformed"}) {
    ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), name).status()) << name;
  }
  // Only the failed run had a valid image: one .sig, one .att.
  EXPECT_OK(h_->VerifyImage(image, h_->key().public_path));
  EXPECT_THAT(h_->CountLayers(image, "sig"), ::hallmark::testing::IsOkAndHolds(1));
  EXPECT_THAT(h_->CountLayers(image, "att"), ::hallmark::testing::IsOkAndHolds(1));
  // Nothing else was pushed for the malformed hints (the tag list of the repository).
  ASSERT_OK_AND_ASSIGN(std::vector<std::string> tags, h_->Tags("team/app"));
  EXPECT_THAT(tags, UnorderedElementsAre("v1", "sha256-" + DigestOf(image).substr(7) + ".sig",
                                         "sha256-" + DigestOf(image).substr(7) + ".att"));
}

TEST_F(AgentSigningTest, TektonStorageAndSlsaV2Alpha4OnTheRunItself) {
  HarnessOptions options;
  options.config = {{"artifacts.taskrun.storage", "tekton"},
                    {"artifacts.taskrun.format", "slsa/v2alpha4"},
                    {"artifacts.oci.storage", "tekton"}};
  Start(options);
  ASSERT_OK_AND_ASSIGN(std::string image, h_->PushImage("team/app", "v1", "tekton"));
  ASSERT_OK(h_->CompleteTaskRun(
                  {.name = "annotated", .results = ImageResults(RepoOf(image), DigestOf(image))})
                .status());
  ASSERT_OK_AND_ASSIGN(json run, h_->WaitForSigned(kube::TaskRunsV1(), "annotated"));
  const json& annotations = run["metadata"]["annotations"];
  std::string uid = kube::MetaUid(run);
  std::string key = "taskrun-" + uid;
  ASSERT_TRUE(annotations.contains("chains.tekton.dev/signature-" + key)) << annotations.dump();
  ASSERT_OK_AND_ASSIGN(
      std::string envelope,
      Base64Decode(annotations["chains.tekton.dev/signature-" + key].get<std::string>()));
  ASSERT_OK_AND_ASSIGN(json statement, h_->VerifyEnvelope(envelope, h_->key().public_path));
  EXPECT_EQ(statement["predicateType"], "https://slsa.dev/provenance/v1");
  ASSERT_OK_AND_ASSIGN(
      std::string payload,
      Base64Decode(annotations["chains.tekton.dev/payload-" + key].get<std::string>()));
  EXPECT_EQ(json::parse(payload), statement);
  // The image signature went to the annotations too (key: 12 hex digits of the digest), not to
  // the registry.
  std::string image_key = DigestOf(image).substr(7, 12);
  EXPECT_TRUE(annotations.contains("chains.tekton.dev/signature-" + image_key));
  EXPECT_THAT(h_->CountLayers(image, "sig"), ::hallmark::testing::IsOkAndHolds(0));
  EXPECT_THAT(h_->CountLayers(image, "att"), ::hallmark::testing::IsOkAndHolds(0));
}

}  // namespace
}  // namespace hallmark::tests::e2e
