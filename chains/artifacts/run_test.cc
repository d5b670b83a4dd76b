#include "chains/artifacts/run.h"

#include <filesystem>
#include <string>
#include <variant>

#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hallmark::chains::artifacts {
namespace {

using ::hallmark::testing::StatusIs;
using nlohmann::json;
using ::testing::HasSubstr;

TEST(RunTest, ParsesEveryUpstreamInput) {
  int parsed = 0;
  for (const char* dir : {"chains/unit-inputs/pipeline-v1", "chains/unit-inputs/slsa-v2alpha2",
                          "chains/unit-inputs/slsa-v2alpha3", "chains/unit-inputs/slsa-v2alpha4"}) {
    for (const auto& entry : std::filesystem::directory_iterator(testing::FixturePath(dir))) {
      std::string text = testing::ReadFileOrDie(entry.path().string());
      absl::StatusOr<TektonRun> run = ParseRun(text);
      ASSERT_OK(run.status()) << entry.path();
      std::string file = entry.path().filename().string();
      bool pipeline = file.rfind("pipelinerun", 0) == 0;
      EXPECT_EQ(KindOf(*run), pipeline ? "PipelineRun" : "TaskRun") << file;
      ++parsed;
    }
  }
  EXPECT_EQ(parsed, 30);
}

TEST(RunTest, TaskRunFields) {
  ASSERT_OK_AND_ASSIGN(
      TektonRun run,
      ParseRun(testing::ReadFixture("chains/unit-inputs/slsa-v2alpha4/taskrun1.json")));
  const TaskRun& tr = std::get<TaskRun>(run);
  EXPECT_EQ(tr.api_version, "tekton.dev/v1");
  EXPECT_EQ(tr.kind, "TaskRun");
  EXPECT_EQ(tr.metadata.name, "taskrun-build");
  EXPECT_EQ(tr.metadata.uid, "abhhf-12354-asjsdbjs23-3435353n");
  ASSERT_NE(tr.metadata.Label(kPipelineTaskLabel), nullptr);
  EXPECT_EQ(*tr.metadata.Label(kPipelineTaskLabel), "build");
  EXPECT_FALSE(tr.metadata.annotations.has_value());
  ASSERT_EQ(tr.params.size(), 3u);
  EXPECT_EQ(tr.params[1].name, "CHAINS-GIT_COMMIT");
  EXPECT_EQ(tr.params[1].value.string_value, "taskrun");
  EXPECT_EQ(tr.status.start_time, absl::FromUnixSeconds(1617011400));
  EXPECT_EQ(tr.status.completion_time, absl::FromUnixSeconds(1617011415));
  ASSERT_EQ(tr.steps.size(), 3u);
  EXPECT_EQ(tr.steps[0].image_id,
            "docker-pullable://gcr.io/test1/test1@sha256:"
            "d4b63d3e24d6eef04a6dc0795cf8a73470688803d97c52cffa3c8d4efd3397b6");
  ASSERT_EQ(tr.steps[2].results.size(), 1u);
  EXPECT_EQ(tr.steps[2].results[0].value.type, ParamValue::Type::kObject);
  EXPECT_EQ(tr.steps[2].results[0].value.object_value.at("isBuildArtifact"), "true");
  EXPECT_EQ(tr.StepResults().size(), 3u);
  ASSERT_TRUE(tr.task_spec.has_value());
  EXPECT_EQ(tr.task_spec->params.size(), 8u);
  ASSERT_TRUE(tr.task_spec->params[6].default_value.has_value());
  EXPECT_EQ(tr.task_spec->params[6].default_value->string_value, "task");
  ASSERT_TRUE(tr.status.provenance.has_value());
  ASSERT_TRUE(tr.status.provenance->ref_source.has_value());
  EXPECT_EQ(tr.status.provenance->ref_source->uri, "git+https://github.com/test");
  EXPECT_EQ(tr.status.provenance->ref_source->digest.at("sha1"), "ab123");
  EXPECT_EQ(tr.status.provenance->feature_flags["EnableAPIFields"], "beta");
  EXPECT_FALSE(tr.IsRemote());
  EXPECT_EQ(tr.spec["serviceAccountName"], "default");
}

TEST(RunTest, PipelineRunFields) {
  ASSERT_OK_AND_ASSIGN(
      TektonRun run,
      ParseRun(testing::ReadFixture("chains/unit-inputs/pipeline-v1/pipelinerun-childrefs.json")));
  const PipelineRun& pr = std::get<PipelineRun>(run);
  EXPECT_EQ(pr.task_run_template_service_account, "pipeline");
  ASSERT_TRUE(pr.pipeline_spec.has_value());
  ASSERT_EQ(pr.pipeline_spec->tasks.size(), 2u);
  const PipelineTask& build = pr.pipeline_spec->tasks[1];
  EXPECT_EQ(build.name, "build");
  EXPECT_EQ(build.run_after, std::vector<std::string>{"git-clone"});
  EXPECT_EQ(build.result_ref_tasks, std::vector<std::string>{"git-clone"});
  EXPECT_EQ(build.task_ref, json::parse(R"({"kind": "ClusterTask", "name": "build"})"));
  ASSERT_EQ(pr.child_references.size(), 2u);
  EXPECT_EQ(pr.child_references[1].name, "taskrun-build");
  EXPECT_EQ(pr.child_references[1].pipeline_task_name, "build");
  EXPECT_EQ(pr.status.results.size(), 4u);
}

TEST(RunTest, RemoteResolver) {
  ASSERT_OK_AND_ASSIGN(TektonRun tr,
                       ParseRun(testing::ReadFixture(
                           "chains/unit-inputs/slsa-v2alpha3/taskrun-remote-resolver.json")));
  EXPECT_TRUE(std::get<TaskRun>(tr).IsRemote());
  EXPECT_EQ(std::get<TaskRun>(tr).params[0].value.type, ParamValue::Type::kArray);
  ASSERT_OK_AND_ASSIGN(TektonRun pr,
                       ParseRun(testing::ReadFixture(
                           "chains/unit-inputs/slsa-v2alpha3/pipelinerun-remote-resolver.json")));
  EXPECT_TRUE(std::get<PipelineRun>(pr).IsRemote());
}

TEST(RunTest, ParsesYamlManifests) {
  ASSERT_OK_AND_ASSIGN(
      TektonRun run,
      ParseRun(testing::ReadFixture("chains/e2e/inputs/pipelineruns/pipeline-output-image.yaml")));
  const PipelineRun& pr = std::get<PipelineRun>(run);
  ASSERT_EQ(pr.params.size(), 2u);
  EXPECT_EQ(pr.params[0].value.string_value, "my-git-commit");
  EXPECT_TRUE(pr.spec["pipelineSpec"]["tasks"][0]["taskSpec"]["steps"].is_array());
}

TEST(RunTest, ParamValuesFollowTekton) {
  EXPECT_EQ(ParamValue::FromJson(json("x")).string_value, "x");
  EXPECT_EQ(ParamValue::FromJson(json(nullptr)).string_value, "");
  ParamValue array = ParamValue::FromJson(json::parse(R"(["a", "b"])"));
  EXPECT_EQ(array.type, ParamValue::Type::kArray);
  EXPECT_EQ(array.GoJson(), R"(["a","b"])");
  ParamValue object = ParamValue::FromJson(json::parse(R"({"uri": "u", "digest": "d"})"));
  EXPECT_EQ(object.type, ParamValue::Type::kObject);
  EXPECT_EQ(object.GoJson(), R"({"digest":"d","uri":"u"})");
  // Anything else is kept as its JSON text.
  EXPECT_EQ(ParamValue::FromJson(json(5)).string_value, "5");
  ParamValue mixed = ParamValue::FromJson(json::parse(R"([1, "a"])"));
  EXPECT_EQ(mixed.type, ParamValue::Type::kString);
  EXPECT_EQ(mixed.string_value, R"([1,"a"])");
  ParamValue nested = ParamValue::FromJson(json::parse(R"({"a": {"b": "c"}})"));
  EXPECT_EQ(nested.type, ParamValue::Type::kString);
}

TEST(RunTest, RejectsWrongTypesWithTheirPath) {
  EXPECT_THAT(ParseRun(R"({"status": {"results": [{"name": 5, "value": "x"}]}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("status.results[0].name: expected a string, got number")));
  EXPECT_THAT(ParseRun(R"({"status": {"steps": {"name": "x"}}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("status.steps: expected an array, got object")));
  EXPECT_THAT(ParseRun(R"({"metadata": {"labels": {"a": 1}}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("metadata.labels.a")));
  EXPECT_THAT(ParseRun(R"({"status": {"startTime": "yesterday"}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("RFC 3339")));
  EXPECT_THAT(ParseRun(R"({"apiVersion": "tekton.dev/v1beta1", "kind": "TaskRun"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tekton.dev/v1")));
  EXPECT_THAT(ParseRun(R"({"kind": "Pod"})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("Pod")));
  EXPECT_THAT(ParseRun("[1, 2]"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRun("{\"a\": "), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseRun("   "), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(RunTest, ToleratesMissingAndUnknownFields) {
  ASSERT_OK_AND_ASSIGN(TektonRun run, ParseRun(R"({"kind": "TaskRun", "extra": {"x": [1]},
                                              "status": {"results": [{"name": "a"}, null],
                                                         "podName": "p"}})"));
  const TaskRun& tr = std::get<TaskRun>(run);
  ASSERT_EQ(tr.status.results.size(), 2u);
  EXPECT_EQ(tr.status.results[0].value.string_value, "");
  EXPECT_TRUE(tr.spec.is_null());
  EXPECT_FALSE(tr.task_spec.has_value());
}

TEST(RunTest, Limits) {
  std::string deep = "{\"a\": " + std::string(200, '[') + std::string(200, ']') + "}";
  EXPECT_THAT(ParseRun(deep), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deeper")));
  std::string huge = "{\"a\": \"" + std::string(kMaxRunBytes, 'x') + "\"}";
  EXPECT_THAT(ParseRun(huge), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("limit")));

  json big = {{"status",
               {{"results",
                 {{{"name", "IMAGE_URL"}, {"value", std::string(kMaxResultValueBytes + 1, 'a')}},
                  {{"name", "ok"}, {"value", std::string(kMaxResultValueBytes, 'a')}}}}}}};
  ASSERT_OK_AND_ASSIGN(TaskRun tr, TaskRun::FromJson(big));
  EXPECT_TRUE(tr.status.results[0].oversized);
  EXPECT_FALSE(tr.status.results[1].oversized);
}

TEST(RunTest, KindIsDetectedWithoutTypeMeta) {
  ASSERT_OK_AND_ASSIGN(TektonRun pr, ParseRun(R"({"spec": {"pipelineRef": {"name": "p"}}})"));
  EXPECT_EQ(KindOf(pr), "PipelineRun");
  EXPECT_EQ(std::get<PipelineRun>(pr).api_version, "tekton.dev/v1");
  ASSERT_OK_AND_ASSIGN(TektonRun tr, ParseRun(R"({"spec": {"taskRef": {"name": "t"}}})"));
  EXPECT_EQ(KindOf(tr), "TaskRun");
}

}  // namespace
}  // namespace hallmark::chains::artifacts
