// The upstream end-to-end expectations (fixtures/chains/e2e/expected/{v1,v2alpha3,v2alpha4}):
// Go text/templates of the statement Chains writes for an example run on a live cluster.
//
// There is no Tekton here, so each example's live objects are rebuilt from what Tekton would have
// stored: the input manifest (e2e/inputs) as defaulted by Tekton's webhook, which is exactly the
// `runSpec` the SLSA v1.0 templates record (so the live spec is taken from there), plus a status
// written the way the Tekton controller writes it (resolved taskSpec with
// `$(results.X.path)` -> `/tekton/results/X`, step imageIDs pinned by digest, the results the
// example's script prints, times, uid, feature flags). The templates are then filled from those
// live objects as upstream's examples_test.go does, and compared as parsed JSON with upstream's
// ignore rules: `internalParameters` and the labels/annotations `environment` are release
// specific and not compared.
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "chains/artifacts/run.h"
#include "chains/formats/options.h"
#include "chains/formats/statement.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace hallmark::chains::formats {
namespace {

using artifacts::PipelineRun;
using artifacts::TaskRun;
using nlohmann::json;

// Images as a registry resolves them when the pod starts.
const std::map<std::string, std::string>& ImageIds() {
  static const auto* ids = new std::map<std::string, std::string>{
      {"busybox",
       "docker.io/library/busybox@sha256:"
       "768e5c6f5cb6db0794eec98dc7a967f40631746c32232b78a3105fb946f3ab83"},
      {"bash:latest",
       "docker.io/library/bash@sha256:"
       "a39ba4cda1d2a6a8e8b1e1d4a2fd6ec4e0f2b8a0e1c5c43e72ea4a0bf4d8b0b1"},
      {"busybox:glibc",
       "docker.io/library/busybox@sha256:"
       "2919d0172f7524b2d8df9e50066a682669e6d170ac0f6a49676d54358fe970b5"},
      {"distroless.dev/busybox@sha256:"
       "186312fcf3f381b5fc1dd80b1afc0d316f3ed39fb4add8ff900d1f0c7c49a92c",
       "distroless.dev/busybox@sha256:"
       "186312fcf3f381b5fc1dd80b1afc0d316f3ed39fb4add8ff900d1f0c7c49a92c"},
  };
  return *ids;
}

// Feature flags of the cluster the templates were made on (as in the v2alpha4 templates).
json FeatureFlags() {
  return json::parse(R"({"EnableAPIFields": "beta", "EnableStepActions": true,
                         "ResultExtractionMethod": "termination-message", "MaxResultSize": 4096})");
}

json ParseJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << text.substr(0, 2000);
  return j;
}

// Times of the simulated runs: the PipelineRun brackets its children.
constexpr char kPipelineStart[] = "2026-08-21T10:00:00Z";
constexpr char kPipelineEnd[] = "2026-08-21T10:01:00Z";
std::string ChildStart(int i) { return absl::StrCat("2026-08-21T10:00:", 10 + i * 10, "Z"); }
std::string ChildEnd(int i) { return absl::StrCat("2026-08-21T10:00:", 15 + i * 10, "Z"); }

// ResolveTaskSpec: the taskSpec as the controller stores it in status (result paths substituted).
json ResolveTaskSpec(json spec) {
  if (spec.contains("steps")) {
    for (json& step : spec["steps"]) {
      if (!step.contains("script")) continue;
      std::string script = step["script"];
      size_t pos;
      while ((pos = script.find("$(results.")) != std::string::npos) {
        size_t end = script.find(".path)", pos);
        std::string name = script.substr(pos + 10, end - pos - 10);
        script.replace(pos, end + 6 - pos, "/tekton/results/" + name);
      }
      step["script"] = script;
    }
  }
  return spec;
}

// LiveTaskRun: a finished TaskRun with `spec` (already defaulted), its step states, `results`.
json LiveTaskRun(const std::string& name, const std::string& uid, const json& spec,
                 const json& results, int index, const json& extra_metadata = json::object()) {
  json steps = json::array();
  for (const json& step : spec["taskSpec"]["steps"]) {
    std::string image = step["image"];
    steps.push_back({{"name", step["name"]},
                     {"container", "step-" + step["name"].get<std::string>()},
                     {"imageID", ImageIds().at(image)},
                     {"terminated", {{"exitCode", 0}, {"reason", "Completed"}}}});
  }
  json metadata = {{"name", name},
                   {"namespace", "default"},
                   {"uid", uid},
                   {"labels", {{"app.kubernetes.io/managed-by", "tekton-pipelines"}}},
                   {"annotations", {{"pipeline.tekton.dev/release", "v1.15.0"}}}};
  metadata.update(extra_metadata, /*merge_objects=*/true);
  return {{"apiVersion", "tekton.dev/v1"},
          {"kind", "TaskRun"},
          {"metadata", metadata},
          {"spec", spec},
          {"status",
           {{"conditions", {{{"type", "Succeeded"}, {"status", "True"}, {"reason", "Succeeded"}}}},
            {"podName", name + "-pod"},
            {"startTime", ChildStart(index)},
            {"completionTime", ChildEnd(index)},
            {"steps", steps},
            {"results", results},
            {"taskSpec", ResolveTaskSpec(spec["taskSpec"])},
            {"provenance", {{"featureFlags", FeatureFlags()}}}}}};
}

json StringResult(const std::string& name, const std::string& value) {
  return {{"name", name}, {"type", "string"}, {"value", value}};
}
json ObjectResult(const std::string& name, const json& value) {
  return {{"name", name}, {"type", "object"}, {"value", value}};
}

// An example: the live run, its children, and the values its templates are filled with.
struct Example {
  json run;
  std::vector<json> children;
  bool deep_inspection = false;
};

// Fill: the Go template `text` with the fields upstream's examples_test.go derives from the live
// objects. `{{range .URIDigest}}...{{end}}` repeats its body per distinct step/sidecar image;
// bodies written without a separator get a comma between repetitions.
std::string Fill(std::string text, const Example& ex) {
  std::vector<std::pair<std::string, std::string>> uri_digests;
  std::vector<std::string> start_times, end_times, container_names, step_images, child_names;
  const bool pipeline = ex.run["kind"] == "PipelineRun";
  std::vector<json> task_runs = pipeline ? ex.children : std::vector<json>{ex.run};
  for (const json& tr : task_runs) {
    child_names.push_back(tr["metadata"]["name"]);
    start_times.push_back(tr["status"]["startTime"]);
    end_times.push_back(tr["status"]["completionTime"]);
    for (const json& step : tr["status"]["steps"]) {
      std::string image_id = step["imageID"];
      container_names.push_back(step["name"]);
      step_images.push_back(image_id);
      std::pair<std::string, std::string> pair = {"oci://" + image_id.substr(0, image_id.find('@')),
                                                  image_id.substr(image_id.find(':') + 1)};
      if (std::find(uri_digests.begin(), uri_digests.end(), pair) == uri_digests.end()) {
        uri_digests.push_back(pair);
      }
    }
  }
  const std::string open = "{{range .URIDigest}}";
  size_t begin = text.find(open);
  if (begin != std::string::npos) {
    size_t end = text.find("{{end}}", begin);
    std::string body = text.substr(begin + open.size(), end - begin - open.size());
    bool has_separator = body.find_last_not_of(" \t\n") != std::string::npos &&
                         body[body.find_last_not_of(" \t\n")] == ',';
    std::string rendered;
    for (size_t i = 0; i < uri_digests.size(); ++i) {
      if (i > 0 && !has_separator) rendered += ",";
      rendered += absl::StrReplaceAll(
          body, {{"{{.URI}}", uri_digests[i].first}, {"{{.Digest}}", uri_digests[i].second}});
    }
    text.replace(begin, end + 7 - begin, rendered);
  }
  std::string object_name = ex.run["metadata"]["name"];
  if (!pipeline && ex.run["spec"].contains("taskRef"))
    object_name = ex.run["spec"]["taskRef"]["name"];
  std::vector<std::pair<std::string, std::string>> fields = {
      {"{{.UID}}", ex.run["metadata"]["uid"]},
      {"{{.TektonObjectName}}", object_name},
      {"{{.PipelineStartedOn}}", pipeline ? ex.run["status"]["startTime"] : json("")},
      {"{{.PipelineFinishedOn}}", pipeline ? ex.run["status"]["completionTime"] : json("")},
      {"{{index .BuildStartTimes 0}}", start_times.at(0)},
      {"{{index .BuildFinishedTimes 0}}", end_times.at(0)},
      {"{{index .ContainerNames 0}}", container_names.at(0)},
      {"{{index .StepImages 0}}", step_images.at(0)},
      {"{{index .ChildTaskRunNames 0}}", child_names.at(0)},
  };
  text = absl::StrReplaceAll(text, fields);
  EXPECT_EQ(text.find("{{"), std::string::npos) << "unfilled placeholder in " << text;
  return text;
}

// Upstream's ignoreReleaseSpecificFields: drop internalParameters and the environment that holds
// labels/annotations (not a step's {image, container} environment).
void DropReleaseSpecific(json* j) {
  if (j->is_object()) {
    j->erase("internalParameters");
    auto env = j->find("environment");
    if (env != j->end() && env->is_object() &&
        (env->contains("labels") || env->contains("annotations") ||
         !(env->contains("image") || env->contains("container")))) {
      j->erase(env);
    }
    for (auto& [k, v] : j->items()) DropReleaseSpecific(&v);
  } else if (j->is_array()) {
    for (json& v : *j) DropReleaseSpecific(&v);
  }
}

// The live spec recorded by the SLSA v1.0 template for this example.
json TemplateRunSpec(const std::string& path) {
  std::string text = testing::ReadFixture("chains/e2e/expected/" + path);
  // The spec does not contain placeholders; cut it out of the template text before filling.
  size_t key = text.find("\"runSpec\"");
  EXPECT_NE(key, std::string::npos);
  size_t start = text.find('{', key);
  int depth = 0;
  size_t i = start;
  bool in_string = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}' && --depth == 0) {
      break;
    }
  }
  return ParseJson(text.substr(start, i + 1 - start));
}

Example TaskOutputImage() {
  json spec = TemplateRunSpec("v2alpha3/task-output-image.json");
  Example ex;
  ex.run = LiveTaskRun(
      "build-push-run-output-image-test", "0d6f2c0a-3b0e-4c39-9a4a-1c2d6f8e9b10", spec,
      {StringResult("IMAGE_DIGEST",
                    "sha256:05f95b26ed10668b7183c1e2da98610e91372fa9f510046d4ce5812addad86b5\n"),
       StringResult("IMAGE_URL", "gcr.io/foo/bar\n")},
      0);
  return ex;
}

Example TaskWithObjectTypeHinting() {
  json spec = TemplateRunSpec("v2alpha4/task-with-object-type-hinting.json");
  Example ex;
  ex.run = LiveTaskRun(
      "image-build", "6a0a1b9e-91a5-4c55-8b2e-5ad2b1f3c6d7", spec,
      {ObjectResult(
           "first-ARTIFACT_OUTPUTS",
           {{"uri", "gcr.io/foo/img1"},
            {"digest", "sha256:586789aa031fafc7d78a5393cdc772e0b55107ea54bb8bcf3f2cdac6c6da51ee"}}),
       ObjectResult(
           "second-ARTIFACT_OUTPUTS",
           {{"uri", "gcr.io/foo/img2"},
            {"digest", "sha256:05f95b26ed10668b7183c1e2da98610e91372fa9f510046d4ce5812addad86b5"},
            {"isBuildArtifact", "true"}}),
       StringResult("third-IMAGE_URL", "gcr.io/foo/bar"),
       StringResult("third-IMAGE_DIGEST",
                    "sha256:05f95b26ed10668b7183c1e2da98610e91372fa9f510046d4ce5812addad86b6"),
       StringResult("IMAGES",
                    "gcr.io/test/img3@sha256:"
                    "2996854378975c2f8011ddf0526975d1aaf1790b404da7aad4bf25293055bc8b"),
       ObjectResult("fourth-ARTIFACT_OUTPUTS", {{"uri", "gcr.io/test/img4"},
                                                {"digest", "sha256:basd-sha"},
                                                {"isBuildArtifact", "true"}})},
      0);
  return ex;
}

// A finished PipelineRun with `spec`, `results`, and one child per pipeline task (in order) with
// the given results; children are owned by the PipelineRun.
Example LivePipelineRun(const std::string& name, const std::string& uid, const json& spec,
                        const json& results, const std::vector<json>& child_results) {
  Example ex;
  json child_refs = json::array();
  const json& tasks = spec["pipelineSpec"]["tasks"];
  for (size_t i = 0; i < tasks.size(); ++i) {
    std::string task = tasks[i]["name"];
    std::string child_name = name + "-" + task;
    json child_spec = {{"serviceAccountName", "default"},
                       {"taskSpec", tasks[i]["taskSpec"]},
                       {"timeout", "1h0m0s"}};
    json extra = {{"labels", {{"tekton.dev/pipelineTask", task}, {"tekton.dev/pipelineRun", name}}},
                  {"ownerReferences",
                   {{{"apiVersion", "tekton.dev/v1"},
                     {"kind", "PipelineRun"},
                     {"name", name},
                     {"uid", uid},
                     {"controller", true},
                     {"blockOwnerDeletion", true}}}}};
    ex.children.push_back(LiveTaskRun(child_name, absl::StrCat(uid, "-", i), child_spec,
                                      child_results.at(i), static_cast<int>(i), extra));
    child_refs.push_back({{"apiVersion", "tekton.dev/v1"},
                          {"kind", "TaskRun"},
                          {"name", child_name},
                          {"pipelineTaskName", task}});
  }
  ex.run = {
      {"apiVersion", "tekton.dev/v1"},
      {"kind", "PipelineRun"},
      {"metadata",
       {{"name", name},
        {"namespace", "default"},
        {"uid", uid},
        {"labels", {{"tekton.dev/pipeline", name}}}}},
      {"spec", spec},
      {"status",
       {{"conditions", {{{"type", "Succeeded"}, {"status", "True"}, {"reason", "Succeeded"}}}},
        {"startTime", kPipelineStart},
        {"completionTime", kPipelineEnd},
        {"results", results},
        {"pipelineSpec", spec["pipelineSpec"]},
        {"childReferences", child_refs},
        {"provenance", {{"featureFlags", FeatureFlags()}}}}}};
  return ex;
}

Example PipelineOutputImage() {
  json digest = StringResult(
      "IMAGE_DIGEST", "sha256:05f95b26ed10668b7183c1e2da98610e91372fa9f510046d4ce5812addad86b5\n");
  json url = StringResult("IMAGE_URL", "gcr.io/foo/bar\n");
  return LivePipelineRun("image-pipelinerun7x2kq", "3c8b6a51-0f1e-4f6a-9d47-2a8e0b5c1d9f",
                         TemplateRunSpec("v2alpha3/pipeline-output-image.json"),
                         {{{"name", "IMAGE_URL"}, {"value", url["value"]}},
                          {{"name", "IMAGE_DIGEST"}, {"value", digest["value"]}}},
                         {{digest, url}});
}

const json kImg1 = {
    {"uri", "gcr.io/foo/img1"},
    {"digest", "sha256:586789aa031fafc7d78a5393cdc772e0b55107ea54bb8bcf3f2cdac6c6da51ee"},
    {"isBuildArtifact", "true"}};
const json kImg2 = {
    {"uri", "gcr.io/foo/img2"},
    {"digest", "sha256:586789aa031fafc7d78a5393cdc772e0b55107ea54bb8bcf3f2cdac6c6da51ee"}};

Example PipelineWithObjectTypeHinting() {
  return LivePipelineRun("pipeline-test-run", "9e1f0c7d-5a6b-4c3d-8e2f-1a0b9c8d7e6f",
                         TemplateRunSpec("v2alpha4/pipeline-with-object-type-hinting.json"),
                         {{{"name", "output1-ARTIFACT_OUTPUTS"}, {"value", kImg1}},
                          {{"name", "output2-ARTIFACT_OUTPUTS"}, {"value", kImg2}}},
                         {{ObjectResult("output1", kImg1), ObjectResult("output2", kImg2)}});
}

Example PipelineWithRepeatedResults() {
  Example ex = LivePipelineRun(
      "pipeline-test-run", "4b2d9e8f-7c6a-4e5d-9f1b-3c2a1d0e9f8b",
      TemplateRunSpec("v2alpha4/pipeline-with-repeated-results.json"),
      {{{"name", "output1-ARTIFACT_OUTPUTS"}, {"value", kImg1}},
       {{"name", "output2-ARTIFACT_OUTPUTS"}, {"value", kImg2}},
       {{"name", "output3-ARTIFACT_OUTPUTS"}, {"value", kImg1}}},
      {{ObjectResult("output1-ARTIFACT_OUTPUTS", kImg1), ObjectResult("output2", kImg2)},
       {ObjectResult("output3-ARTIFACT_OUTPUTS", kImg1)},
       {StringResult("IMAGES",
                     "gcr.io/foo/img1@sha256:"
                     "586789aa031fafc7d78a5393cdc772e0b55107ea54bb8bcf3f2cdac6c6da51ee")}});
  ex.deep_inspection = true;
  return ex;
}

struct Case {
  const char* template_path;
  const char* format;
  Example (*example)();
};

class E2eStatementTest : public ::testing::TestWithParam<Case> {};

TEST_P(E2eStatementTest, MatchesUpstreamTemplate) {
  const Case& c = GetParam();
  Example ex = c.example();
  FormatOptions options;
  ASSERT_OK_AND_ASSIGN(options.format, ParseFormat(c.format));
  options.deep_inspection = ex.deep_inspection;

  absl::StatusOr<Statement> statement;
  if (ex.run["kind"] == "TaskRun") {
    ASSERT_OK_AND_ASSIGN(TaskRun tr, TaskRun::FromJson(ex.run));
    statement = BuildStatement(tr, options);
  } else {
    ASSERT_OK_AND_ASSIGN(PipelineRun pr, PipelineRun::FromJson(ex.run));
    std::vector<TaskRun> children;
    for (const json& child : ex.children) {
      ASSERT_OK_AND_ASSIGN(TaskRun tr, TaskRun::FromJson(child));
      children.push_back(tr);
    }
    statement = BuildStatement(pr, children, options);
    ASSERT_OK(statement.status());
    EXPECT_TRUE(statement->ignored_children.empty());  // owned by the PipelineRun
  }
  ASSERT_OK(statement.status());

  json want = ParseJson(
      Fill(testing::ReadFixture(std::string("chains/e2e/expected/") + c.template_path), ex));
  json got = ParseJson(statement->payload);
  DropReleaseSpecific(&want);
  DropReleaseSpecific(&got);
  EXPECT_EQ(got, want) << "got:  " << got.dump(1) << "\nwant: " << want.dump(1);
}

INSTANTIATE_TEST_SUITE_P(
    Templates, E2eStatementTest,
    ::testing::Values(
        Case{"v1/task-output-image.json", "slsa/v1", TaskOutputImage},
        Case{"v2alpha3/task-output-image.json", "slsa/v2alpha3", TaskOutputImage},
        Case{"v2alpha4/task-output-image.json", "slsa/v2alpha4", TaskOutputImage},
        Case{"v1/pipeline-output-image.json", "in-toto", PipelineOutputImage},
        Case{"v2alpha3/pipeline-output-image.json", "slsa/v2alpha3", PipelineOutputImage},
        Case{"v2alpha4/pipeline-output-image.json", "slsa/v2alpha4", PipelineOutputImage},
        Case{"v2alpha4/task-with-object-type-hinting.json", "slsa/v2alpha4",
             TaskWithObjectTypeHinting},
        Case{"v2alpha4/pipeline-with-object-type-hinting.json", "slsa/v2alpha4",
             PipelineWithObjectTypeHinting},
        Case{"v2alpha4/pipeline-with-repeated-results.json", "slsa/v2alpha4",
             PipelineWithRepeatedResults}),
    [](const ::testing::TestParamInfo<Case>& info) {
      std::string name = info.param.template_path;
      name = name.substr(0, name.size() - 5);
      for (char& ch : name) {
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      }
      return name;
    });

}  // namespace
}  // namespace hallmark::chains::formats
