#include "chains/reconciler/run_state.h"

#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hallmark::chains::reconciler {
namespace {

using ::hallmark::testing::StatusIs;
using nlohmann::json;
using ::testing::ElementsAre;

TEST(RunKeyTest, RoundTripsAndRejectsJunk) {
  ASSERT_OK_AND_ASSIGN(RunKey k, RunKey::Parse("PipelineRun/ci/build-1"));
  EXPECT_EQ(k.kind, RunKind::kPipelineRun);
  EXPECT_EQ(k.ns, "ci");
  EXPECT_EQ(k.name, "build-1");
  EXPECT_EQ(k.String(), "PipelineRun/ci/build-1");
  for (const char* bad :
       {"TaskRun/ci", "Pod/ci/x", "TaskRun/ci/a/b", "TaskRun//x", "TaskRun/c i/x"}) {
    EXPECT_THAT(RunKey::Parse(bad).status(), StatusIs(absl::StatusCode::kInvalidArgument)) << bad;
  }
}

TEST(ProjectRunTest, TaskRunFields) {
  json tr = json::parse(R"({
    "metadata": {"name": "t", "namespace": "ci", "creationTimestamp": "2026-01-01T00:00:00Z",
                 "labels": {"tekton.dev/pipelineRun": "p"},
                 "annotations": {"chains.tekton.dev/signed": "failed", "chains.tekton.dev/skip": "true"}},
    "status": {"completionTime": "2026-01-01T00:01:00Z",
               "conditions": [{"type": "Succeeded", "status": "False"}]}})");
  ASSERT_OK_AND_ASSIGN(RunInfo info, ProjectRun(RunKind::kTaskRun, tr));
  EXPECT_TRUE(info.done);
  EXPECT_EQ(info.signed_value, "failed");
  EXPECT_TRUE(info.Reconciled());
  EXPECT_TRUE(info.skip);
  EXPECT_EQ(info.parent, "p");
  EXPECT_EQ(info.completion, absl::FromUnixSeconds(1767225660));
  EXPECT_EQ(info.Key(), "TaskRun/ci/t");
}

TEST(ProjectRunTest, OwnerReferenceNamesTheParentAndOddTypesAreAbsent) {
  json tr = json::parse(R"({
    "metadata": {"name": "t", "namespace": "ci", "annotations": {"chains.tekton.dev/signed": 1},
                 "ownerReferences": [{"kind": "PipelineRun", "name": "owner", "controller": true}]},
    "status": {"conditions": [{"type": "Succeeded", "status": "Unknown"}], "completionTime": 5}})");
  ASSERT_OK_AND_ASSIGN(RunInfo info, ProjectRun(RunKind::kTaskRun, tr));
  EXPECT_FALSE(info.done);
  EXPECT_EQ(info.signed_value, "");
  EXPECT_EQ(info.parent, "owner");
  EXPECT_EQ(info.completion, absl::InfinitePast());
  EXPECT_THAT(ProjectRun(RunKind::kTaskRun, json::parse(R"({"metadata": {"name": "x"}})")).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ProjectRun(RunKind::kTaskRun, json::array()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ProjectRunTest, PipelineRunChildren) {
  json pr = json::parse(R"({
    "metadata": {"name": "p", "namespace": "ci"},
    "status": {"conditions": [{"type": "Succeeded", "status": "True"}],
               "childReferences": [{"kind": "TaskRun", "name": "p-a"},
                                   {"kind": "CustomRun", "name": "p-c"},
                                   {"kind": "TaskRun", "name": "p-b"}]}})");
  ASSERT_OK_AND_ASSIGN(RunInfo info, ProjectRun(RunKind::kPipelineRun, pr));
  EXPECT_TRUE(info.done);
  EXPECT_THAT(info.children, ElementsAre("p-a", "p-b"));
}

TEST(SkippedTest, AnnotationAndSkipBefore) {
  RunInfo info;
  info.completion = absl::FromUnixSeconds(1000);
  EXPECT_FALSE(Skipped(info, std::nullopt));
  EXPECT_TRUE(Skipped(info, absl::FromUnixSeconds(1001)));
  EXPECT_FALSE(Skipped(info, absl::FromUnixSeconds(1000)));
  info.skip = true;
  EXPECT_TRUE(Skipped(info, std::nullopt));
}

TEST(WithoutChainsAnnotationsTest, DropsOnlyOurs) {
  json o = json::parse(R"({"metadata": {"annotations": {"chains.tekton.dev/retries": "2",
    "chains.tekton.dev/signed": "true", "team": "x"}}, "spec": {"a": 1}})");
  json stripped = WithoutChainsAnnotations(o);
  EXPECT_EQ(stripped["metadata"]["annotations"], json::parse(R"({"team": "x"})"));
  EXPECT_EQ(stripped["spec"], o["spec"]);
  EXPECT_EQ(o["metadata"]["annotations"].size(), 3u);  // the input is untouched
  EXPECT_EQ(WithoutChainsAnnotations(json("x")), json("x"));
  // Only ours: the annotations disappear altogether; an empty map of the user's stays.
  json only_ours =
      json::parse(R"({"metadata": {"annotations": {"chains.tekton.dev/retries": "1"}}})");
  EXPECT_FALSE(WithoutChainsAnnotations(only_ours)["metadata"].contains("annotations"));
  json empty = json::parse(R"({"metadata": {"annotations": {}}})");
  EXPECT_TRUE(WithoutChainsAnnotations(empty)["metadata"].contains("annotations"));
}

}  // namespace
}  // namespace hallmark::chains::reconciler
