// Behaviour of BuildStatement beyond the upstream summaries: the CVE-2023-37264 child check,
// build types, remote resolvers, limits, errors, and the per-result report.
#include "chains/formats/statement.h"

#include <string>
#include <variant>
#include <vector>

#include "base/encoding.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "chains/artifacts/run.h"
#include "chains/formats/options.h"
#include "chains/formats/proto_json.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hallmark::chains::formats {
namespace {

using artifacts::PipelineRun;
using artifacts::TaskRun;
using ::hallmark::testing::StatusIs;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kDigest[] =
    "sha256:05f95b26ed10668b7183c1e2da98610e91372fa9f510046d4ce5812addad86b5";

json Parse(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << text;
  return j;
}

TaskRun LoadTaskRun(const std::string& fixture) {
  absl::StatusOr<artifacts::TektonRun> run =
      artifacts::ParseRun(testing::ReadFixture("chains/unit-inputs/" + fixture));
  EXPECT_OK(run.status());
  return std::get<TaskRun>(*run);
}

PipelineRun LoadPipelineRun(const std::string& fixture) {
  absl::StatusOr<artifacts::TektonRun> run =
      artifacts::ParseRun(testing::ReadFixture("chains/unit-inputs/" + fixture));
  EXPECT_OK(run.status());
  return std::get<PipelineRun>(*run);
}

// A PipelineRun "pr" (uid "pr-uid") with one task "build".
PipelineRun SimplePipelineRun() {
  absl::StatusOr<PipelineRun> pr = PipelineRun::FromJson(json::parse(R"({
    "kind": "PipelineRun", "metadata": {"name": "pr", "uid": "pr-uid"},
    "status": {"pipelineSpec": {"tasks": [{"name": "build"}]},
               "completionTime": "2021-03-29T09:50:15Z"}})"));
  EXPECT_OK(pr.status());
  return *pr;
}

// A child TaskRun of task "build" that built `image`, owned by `owner_uid` (none if empty).
TaskRun Child(const std::string& name, const std::string& image, const std::string& owner_uid) {
  json object = {{"kind", "TaskRun"},
                 {"metadata", {{"name", name}, {"labels", {{"tekton.dev/pipelineTask", "build"}}}}},
                 {"status",
                  {{"completionTime", "2021-03-29T09:50:15Z"},
                   {"results",
                    {{{"name", "IMAGE_URL"}, {"value", image}},
                     {{"name", "IMAGE_DIGEST"}, {"value", kDigest}}}}}}};
  if (!owner_uid.empty()) {
    object["metadata"]["ownerReferences"] = {{{"apiVersion", "tekton.dev/v1"},
                                              {"kind", "PipelineRun"},
                                              {"name", "pr"},
                                              {"uid", owner_uid},
                                              {"controller", true}}};
  }
  absl::StatusOr<TaskRun> tr = TaskRun::FromJson(object);
  EXPECT_OK(tr.status());
  return *tr;
}

std::vector<std::string> SubjectNames(const Statement& statement) {
  std::vector<std::string> names;
  for (const auto& s : statement.subjects) names.push_back(s.name);
  return names;
}

TEST(ChildrenTest, OnlyChildrenOwnedByThisPipelineRunAreRead) {
  PipelineRun pr = SimplePipelineRun();
  std::vector<TaskRun> children = {Child("owned", "gcr.io/a/owned", "pr-uid"),
                                   Child("foreign", "gcr.io/a/foreign", "other-uid"),
                                   Child("orphan", "gcr.io/a/orphan", "")};
  for (Format format : {Format::kSlsaV02, Format::kSlsaV2Alpha3, Format::kSlsaV2Alpha4}) {
    FormatOptions options;
    options.format = format;
    options.deep_inspection = true;
    ASSERT_OK_AND_ASSIGN(Statement st, BuildStatement(pr, children, options));
    EXPECT_EQ(SubjectNames(st), std::vector<std::string>{"gcr.io/a/owned"}) << FormatName(format);
    ASSERT_EQ(st.ignored_children.size(), 2u);
    EXPECT_EQ(st.ignored_children[0].name, "foreign");
    EXPECT_THAT(st.ignored_children[0].reason, HasSubstr("another PipelineRun"));
    EXPECT_THAT(st.ignored_children[0].reason, HasSubstr("CVE-2023-37264"));
    EXPECT_EQ(st.ignored_children[1].name, "orphan");
    EXPECT_THAT(st.ignored_children[1].reason, HasSubstr("no ownerReference"));
    EXPECT_EQ(std::string(st.payload).find("foreign"), std::string::npos);

    // Hand-written inputs without ownerReferences can be allowed; a foreign owner never is.
    options.allow_unowned_children = true;
    ASSERT_OK_AND_ASSIGN(st, BuildStatement(pr, children, options));
    EXPECT_EQ(SubjectNames(st), (std::vector<std::string>{"gcr.io/a/owned", "gcr.io/a/orphan"}));
    ASSERT_EQ(st.ignored_children.size(), 1u);
    EXPECT_EQ(st.ignored_children[0].name, "foreign");
  }
}

TEST(ChildrenTest, UnfinishedAndUnlabelledChildrenAreIgnored) {
  PipelineRun pr = SimplePipelineRun();
  TaskRun running = Child("running", "gcr.io/a/running", "pr-uid");
  running.status.completion_time.reset();
  TaskRun stray = Child("stray", "gcr.io/a/stray", "pr-uid");
  stray.metadata.labels->clear();
  FormatOptions options;
  options.deep_inspection = true;
  ASSERT_OK_AND_ASSIGN(Statement st, BuildStatement(pr, {running, stray}, options));
  EXPECT_TRUE(st.subjects.empty());
  ASSERT_EQ(st.ignored_children.size(), 2u);
  EXPECT_THAT(st.ignored_children[0].reason, HasSubstr("no completionTime"));
  EXPECT_THAT(st.ignored_children[1].reason, HasSubstr("not labelled"));
  EXPECT_FALSE(Parse(st.payload).contains("subject"));
}

TEST(SlsaV02Test, BuildConfigDropsMismatchedChildrenAndOrdersTasks) {
  PipelineRun pr = LoadPipelineRun("pipeline-v1/pipelinerun1.json");
  std::vector<TaskRun> children;
  for (const char* f : {"taskrun1", "taskrun2", "taskrun3", "taskrun4", "taskrun5"}) {
    children.push_back(LoadTaskRun(std::string("pipeline-v1/") + f + ".json"));
  }
  FormatOptions options;
  options.allow_unowned_children = true;
  ASSERT_OK_AND_ASSIGN(Statement st, BuildStatement(pr, children, options));
  json tasks = Parse(st.payload)["predicate"]["buildConfig"]["tasks"];
  ASSERT_EQ(tasks.size(), 3u) << tasks.dump();
  EXPECT_EQ(tasks[0]["name"], "git-clone");
  EXPECT_EQ(tasks[1]["name"], "build");
  EXPECT_EQ(tasks[2]["name"], "build");
  // taskrun3 (kept) ran test4/test5/test6 images; taskrun4 (unnamed- step) and taskrun5 (four
  // status steps for three spec steps) are left out.
  EXPECT_EQ(tasks[2]["steps"][0]["environment"]["image"],
            "oci://gcr.io/test4/test4@sha256:"
            "d4b63d3e24d6eef04a6dc0795cf8a73470688803d97c52cffa3c8d4efd3397b6");
  EXPECT_EQ(st.payload.find("gcr.io/test7/test7@"), std::string::npos);
  EXPECT_EQ(st.payload.find("gcr.io/test13/test13@"), std::string::npos);
}

TEST(SlsaV02Test, FinallyTaskRunsAfterTheLastTask) {
  absl::StatusOr<PipelineRun> pr = PipelineRun::FromJson(json::parse(R"({
    "kind": "PipelineRun", "metadata": {"name": "pr", "uid": "pr-uid",
                                        "labels": {"chains.tekton.dev/reproducible": "true"},
                                        "annotations": {"chains.tekton.dev/signed": "true",
                                                        "team": "x"}},
    "status": {"pipelineSpec": {"tasks": [{"name": "a"}, {"name": "b", "runAfter": ["a"]}],
                                "finally": [{"name": "f"}]}}})"));
  ASSERT_OK(pr.status());
  std::vector<TaskRun> children;
  for (const char* task : {"a", "b", "f"}) {
    absl::StatusOr<TaskRun> tr = TaskRun::FromJson(
        json{{"metadata",
              {{"name", std::string("pr-") + task},
               {"labels", {{"tekton.dev/pipelineTask", task}}},
               {"ownerReferences", {{{"kind", "PipelineRun"}, {"uid", "pr-uid"}}}}}},
             {"status",
              {{"startTime", "2021-03-29T09:50:00Z"},
               {"completionTime", "2021-03-29T09:50:15Z"},
               {"conditions", {{{"type", "Succeeded"}, {"status", "False"}}}},
               {"taskSpec", {{"steps", json::array()}}}}}});
    ASSERT_OK(tr.status());
    children.push_back(*tr);
  }
  ASSERT_OK_AND_ASSIGN(Statement st, BuildStatement(*pr, children, FormatOptions()));
  json predicate = Parse(st.payload)["predicate"];
  json tasks = predicate["buildConfig"]["tasks"];
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_FALSE(tasks[0].contains("after"));
  EXPECT_EQ(tasks[1]["after"], json::parse(R"(["a"])"));
  EXPECT_EQ(tasks[2]["after"], json::parse(R"(["b"])"));
  EXPECT_EQ(tasks[2]["status"], "Failed");  // failed runs are attested too
  EXPECT_EQ(tasks[2]["ref"], json::object());
  EXPECT_EQ(predicate["metadata"]["reproducible"], true);
  // Chains' own annotations are not part of the environment; other annotations and labels are.
  EXPECT_EQ(predicate["invocation"]["environment"], json::parse(R"({
      "annotations": {"team": "x"}, "labels": {"chains.tekton.dev/reproducible": "true"}})"));
}

TEST(SlsaV1Test, RemoteResolverGivesBuildConfigSource) {
  FormatOptions options;
  options.format = Format::kSlsaV2Alpha3;
  ASSERT_OK_AND_ASSIGN(
      Statement tr,
      BuildStatement(LoadTaskRun("slsa-v2alpha3/taskrun-remote-resolver.json"), options));
  json external = Parse(tr.payload)["predicate"]["buildDefinition"]["externalParameters"];
  EXPECT_EQ(external["buildConfigSource"], json::parse(R"({
      "ref": "sha1:4df486f198c3c2616ab129186fb30a74f580b5a1",
      "repository": "git+https://github.com/tektoncd/catalog.git",
      "path": "task/gcloud/0.3/gcloud.yaml"})"));
  EXPECT_EQ(external["runSpec"]["taskRef"]["resolver"], "git");

  options.format = Format::kSlsaV2Alpha4;
  ASSERT_OK_AND_ASSIGN(
      Statement pr,
      BuildStatement(LoadPipelineRun("slsa-v2alpha4/pipelinerun-remote-resolver.json"), {},
                     options));
  json definition = Parse(pr.payload)["predicate"]["buildDefinition"];
  EXPECT_EQ(definition["externalParameters"]["buildConfigSource"]["path"],
            "pipeline/build-push-gke-deploy/0.1/build-push-gke-deploy.yaml");
  EXPECT_EQ(definition["resolvedDependencies"][0]["name"], "pipeline");

  // A taskRef without a resolver (or with the Cluster resolver) is not remote.
  ASSERT_OK_AND_ASSIGN(tr, BuildStatement(LoadTaskRun("slsa-v2alpha3/taskrun1.json"), options));
  EXPECT_FALSE(Parse(tr.payload)["predicate"]["buildDefinition"]["externalParameters"].contains(
      "buildConfigSource"));
}

TEST(SlsaV1Test, SlsaTektonBuildTypeEmbedsChildrenAndMetadata) {
  PipelineRun pr = LoadPipelineRun("slsa-v2alpha3/pipelinerun1.json");
  std::vector<TaskRun> children = {LoadTaskRun("slsa-v2alpha3/taskrun1.json"),
                                   LoadTaskRun("slsa-v2alpha3/taskrun2.json")};
  FormatOptions options;
  options.format = Format::kSlsaV2Alpha3;
  options.build_type = std::string(kSlsaTektonBuildType);
  options.allow_unowned_children = true;
  ASSERT_OK_AND_ASSIGN(Statement st, BuildStatement(pr, children, options));
  json definition = Parse(st.payload)["predicate"]["buildDefinition"];
  EXPECT_EQ(definition["buildType"], std::string(kSlsaTektonBuildType));
  EXPECT_TRUE(definition["internalParameters"]["labels"].is_null());
  EXPECT_TRUE(definition["internalParameters"]["annotations"].is_null());
  int embedded = 0;
  for (const json& rd : definition["resolvedDependencies"]) {
    if (rd.value("name", "") != "pipelineTask") continue;
    ASSERT_TRUE(rd.contains("content"));
    ASSERT_OK_AND_ASSIGN(std::string content, Base64Decode(rd["content"].get<std::string>()));
    json child = Parse(content);
    EXPECT_EQ(child, children[embedded == 0 ? 1 : 0].object);  // git-clone (taskrun2) first
    ++embedded;
  }
  EXPECT_EQ(embedded, 2);

  options.build_type = "https://example.com/other";
  EXPECT_THAT(BuildStatement(pr, children, options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unsupported buildType")));
}

TEST(StatementTest, ByproductContentIsGoJson) {
  absl::StatusOr<TaskRun> tr = TaskRun::FromJson(json::parse(R"({
    "metadata": {"name": "t"},
    "status": {"results": [{"name": "html", "value": "<a&b>"},
                           {"name": "list", "value": ["x", "y"]}]}})"));
  ASSERT_OK(tr.status());
  FormatOptions options;
  options.format = Format::kSlsaV2Alpha4;
  ASSERT_OK_AND_ASSIGN(Statement st, BuildStatement(*tr, options));
  json byproducts = Parse(st.payload)["predicate"]["runDetails"]["byproducts"];
  ASSERT_EQ(byproducts.size(), 2u);
  EXPECT_EQ(byproducts[0]["name"], "taskRunResults/t/html");
  EXPECT_EQ(Base64Decode(byproducts[0]["content"].get<std::string>()).value_or(""),
            R"("\u003ca\u0026b\u003e")");
  EXPECT_EQ(Base64Decode(byproducts[1]["content"].get<std::string>()).value_or(""), R"(["x","y"])");
}

TEST(StatementTest, ImageIdWithoutDigestFailsEveryFormat) {
  absl::StatusOr<TaskRun> tr = TaskRun::FromJson(json::parse(R"({
    "status": {"steps": [{"name": "build", "imageID": "docker.io/library/busybox:latest"}]}})"));
  ASSERT_OK(tr.status());
  for (Format format : {Format::kSlsaV02, Format::kSlsaV2Alpha3, Format::kSlsaV2Alpha4}) {
    FormatOptions options;
    options.format = format;
    EXPECT_THAT(BuildStatement(*tr, options),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("status.steps[0] (build)")));
  }
}

TEST(StatementTest, DeepestAcceptedRunStillFitsInTheStatement) {
  // A spec and feature flags nested as deep as the parser allows are embedded in the predicate a
  // few levels further down; protobuf's JSON converter (64 message levels) must still take them.
  const auto nested = [](int levels) {
    std::string text;
    for (int i = 0; i < levels; ++i) text += "{\"x\": ";
    text += "1";
    for (int i = 0; i < levels; ++i) text += "}";
    return text;
  };
  std::string text =
      "{\"spec\": " + nested(artifacts::kMaxJsonDepth - 1) +
      ", \"status\": {\"provenance\": {\"featureFlags\": " + nested(artifacts::kMaxJsonDepth - 3) +
      "}}}";
  ASSERT_OK_AND_ASSIGN(artifacts::TektonRun run, artifacts::ParseRun(text));
  for (Format format : {Format::kSlsaV02, Format::kSlsaV2Alpha3, Format::kSlsaV2Alpha4}) {
    FormatOptions options;
    options.format = format;
    ASSERT_OK_AND_ASSIGN(Statement st, BuildStatement(std::get<TaskRun>(run), options));
    if (format != Format::kSlsaV02) {
      EXPECT_NE(st.payload.find("\"x\":1}"), std::string::npos);
    }
  }
  EXPECT_THAT(artifacts::ParseRun("{\"spec\": " + nested(artifacts::kMaxJsonDepth) + "}"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("deeper")));
}

TEST(StatementTest, TooManySubjects) {
  json results = json::array();
  for (int i = 0; i < 257; ++i) {
    results.push_back({{"name", "a" + std::to_string(i) + "_ARTIFACT_URI"},
                       {"value", "pkg:generic/a" + std::to_string(i)}});
    results.push_back({{"name", "a" + std::to_string(i) + "_ARTIFACT_DIGEST"}, {"value", kDigest}});
  }
  absl::StatusOr<TaskRun> tr = TaskRun::FromJson(json{{"status", {{"results", results}}}});
  ASSERT_OK(tr.status());
  EXPECT_THAT(BuildStatement(*tr, FormatOptions()),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("the limit is 256")));
}

TEST(StatementTest, ReportExplainsEveryResult) {
  TaskRun tr = LoadTaskRun("slsa-v2alpha4/taskrun1.json");
  FormatOptions options;
  options.format = Format::kSlsaV2Alpha4;
  ASSERT_OK_AND_ASSIGN(Statement st, BuildStatement(tr, options));
  std::vector<std::string> lines = st.report.ExplainLines();
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  EXPECT_EQ(lines.size(), 5u) << all;  // 2 TaskRun results + 3 step results
  EXPECT_THAT(all,
              HasSubstr("taskrun/taskrun-build IMAGE_URL: artifact: OCI image gcr.io/my/image@"));
  EXPECT_THAT(all, HasSubstr("taskrun/taskrun-build/step/step3 step3_result1-ARTIFACT_OUTPUTS: "
                             "artifact: build artifact gcr.io/my/image/fromstep3"));
  EXPECT_THAT(all, HasSubstr("taskrun/taskrun-build/step/step2 step1_result1-ARTIFACT_OUTPUTS: "
                             "ignored: isBuildArtifact is not \"true\""));
  EXPECT_THAT(
      all, HasSubstr("taskrun/taskrun-build/step/step1 step1_result1: ignored: not a type hint"));
  EXPECT_TRUE(st.report.Rejections().empty());

  // slsa/v1 does not read step results.
  options.format = Format::kSlsaV02;
  ASSERT_OK_AND_ASSIGN(st, BuildStatement(tr, options));
  all.clear();
  for (const auto& l : st.report.ExplainLines()) all += l + "\n";
  EXPECT_THAT(all, HasSubstr("step/step3 step3_result1-ARTIFACT_OUTPUTS: ignored: step results are "
                             "only read by slsa/v2alpha4"));
}

TEST(StatementTest, PayloadIsTheSerialisedStatementAndPrettyPrintKeepsIt) {
  FormatOptions options;
  options.format = Format::kSlsaV2Alpha3;
  ASSERT_OK_AND_ASSIGN(Statement st,
                       BuildStatement(LoadTaskRun("slsa-v2alpha3/taskrun1.json"), options));
  EXPECT_EQ(st.predicate_type, kSlsaV1PredicateType);
  json payload = Parse(st.payload);
  EXPECT_EQ(payload["_type"], std::string(kStatementV1));
  EXPECT_EQ(st.payload.find('\n'), std::string::npos);  // compact
  ASSERT_OK_AND_ASSIGN(std::string pretty, PrettyPrint(st.payload));
  EXPECT_NE(pretty.find("\n  \""), std::string::npos);
  EXPECT_EQ(Parse(pretty), payload);
  EXPECT_THAT(PrettyPrint("not json"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(StatementTest, SameRunGivesTheSameBytesEveryTime) {
  // The agent re-signs a run after a crash and recognises its earlier attestation by the
  // statement bytes: predicate Structs must not come out in hash order.
  for (Format format : {Format::kSlsaV02, Format::kSlsaV2Alpha3, Format::kSlsaV2Alpha4}) {
    FormatOptions options;
    options.format = format;
    options.build_type = std::string(kSlsaTektonBuildType);
    ASSERT_OK_AND_ASSIGN(Statement first,
                         BuildStatement(LoadTaskRun("slsa-v2alpha4/taskrun1.json"), options));
    for (int i = 0; i < 20; ++i) {
      ASSERT_OK_AND_ASSIGN(Statement again,
                           BuildStatement(LoadTaskRun("slsa-v2alpha4/taskrun1.json"), options));
      ASSERT_EQ(again.payload, first.payload) << FormatName(format);
    }
  }
}

TEST(OptionsTest, Formats) {
  ASSERT_OK_AND_ASSIGN(Format f, ParseFormat("in-toto"));
  EXPECT_EQ(f, Format::kSlsaV02);
  ASSERT_OK_AND_ASSIGN(f, ParseFormat("slsa/v1"));
  EXPECT_EQ(FormatName(f), "slsa/v1");
  ASSERT_OK_AND_ASSIGN(f, ParseFormat("slsa/v2alpha4"));
  EXPECT_EQ(f, Format::kSlsaV2Alpha4);
  EXPECT_THAT(ParseFormat("tekton"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("wanted one of")));
  EXPECT_THAT(ParseFormat("slsa/v2alpha2"), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ProtoJsonTest, Times) {
  absl::Time t = absl::FromUnixSeconds(1617011400);
  EXPECT_EQ(GoTimeString(t), "2021-03-29T09:50:00Z");
  EXPECT_EQ(GoTimeString(t + absl::Milliseconds(500)), "2021-03-29T09:50:00.5Z");
  google::protobuf::Timestamp ts = ToTimestamp(t + absl::Nanoseconds(7));
  EXPECT_EQ(ts.seconds(), 1617011400);
  EXPECT_EQ(ts.nanos(), 7);
}

}  // namespace
}  // namespace hallmark::chains::formats
