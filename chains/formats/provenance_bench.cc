// Statements per second (Google Benchmark): a single TaskRun, and a large PipelineRun (50 child
// TaskRuns with deep inspection), in each format. Runs are generated here (no fixtures needed):
// each TaskRun has 3 steps with pinned images, 2 images (IMAGE_URL pair and IMAGES), an
// *ARTIFACT_OUTPUTS build artifact, an *ARTIFACT_INPUTS, CHAINS-GIT_* params and a plain result.
//
//   bazel run -c opt //chains/formats:provenance_bench
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "benchmark/benchmark.h"
#include "chains/artifacts/extract.h"
#include "chains/artifacts/run.h"
#include "chains/formats/options.h"
#include "chains/formats/statement.h"
#include "nlohmann/json.hpp"

namespace hallmark::chains::formats {
namespace {

using nlohmann::json;

std::string Hex(int seed) {
  std::string out;
  const char* digits = "0123456789abcdef";
  unsigned x = 2166136261u ^ static_cast<unsigned>(seed);
  for (int i = 0; i < 64; ++i) {
    x = x * 16777619u + 1013904223u;
    out.push_back(digits[(x >> 11) & 15]);
  }
  return out;
}

json TaskRunJson(int i, const std::string& owner_uid) {
  std::string task = absl::StrCat("task-", i);
  json steps = json::array();
  json spec_steps = json::array();
  for (int s = 0; s < 3; ++s) {
    std::string name = absl::StrCat("step", s);
    steps.push_back({{"name", name},
                     {"container", "step-" + name},
                     {"imageID", absl::StrCat("docker-pullable://gcr.io/tools/builder", s,
                                              "@sha256:", Hex(1000 + s))}});
    spec_steps.push_back(
        {{"name", name}, {"image", "gcr.io/tools/builder"}, {"script", "#!/bin/sh\nmake build\n"}});
  }
  json results = {
      {{"name", "IMAGE_URL"}, {"value", absl::StrCat("gcr.io/project/app-", i, ":v1")}},
      {{"name", "IMAGE_DIGEST"}, {"value", "sha256:" + Hex(i)}},
      {{"name", "IMAGES"},
       {"value", absl::StrCat("gcr.io/project/side-", i, "@sha256:", Hex(i + 500))}},
      {{"name", "jar-ARTIFACT_OUTPUTS"},
       {"value",
        {{"uri", absl::StrCat("pkg:maven/org/app@", i)},
         {"digest", "sha256:" + Hex(i + 700)},
         {"isBuildArtifact", "true"}}}},
      {{"name", "src-ARTIFACT_INPUTS"},
       {"value",
        {{"uri", "git+https://example.com/app.git"}, {"digest", "sha1:" + Hex(9).substr(0, 40)}}}},
      {{"name", "summary"}, {"value", "built in 42s"}}};
  json metadata = {
      {"name", "pr-" + task},
      {"uid", absl::StrCat("uid-", i)},
      {"labels",
       {{"tekton.dev/pipelineTask", task}, {"app.kubernetes.io/managed-by", "tekton-pipelines"}}},
      {"ownerReferences",
       json::array({{{"kind", "PipelineRun"}, {"name", "pr"}, {"uid", owner_uid}}})}};
  json params = json::array({{{"name", "CHAINS-GIT_URL"}, {"value", "https://example.com/app"}},
                             {{"name", "CHAINS-GIT_COMMIT"}, {"value", Hex(3).substr(0, 40)}}});
  json spec = {{"params", params},
               {"taskRef", {{"name", "build"}, {"kind", "Task"}}},
               {"serviceAccountName", "default"},
               {"timeout", "1h0m0s"}};
  json ref_source = {{"uri", "git+https://example.com/tasks.git"},
                     {"digest", {{"sha1", Hex(4).substr(0, 40)}}},
                     {"entryPoint", "build.yaml"}};
  json status = {{"startTime", "2026-08-21T10:00:00Z"},
                 {"completionTime", "2026-08-21T10:05:00Z"},
                 {"conditions", json::array({{{"type", "Succeeded"}, {"status", "True"}}})},
                 {"steps", steps},
                 {"results", results},
                 {"taskSpec", {{"steps", spec_steps}}},
                 {"provenance", {{"refSource", ref_source}}}};
  return {{"apiVersion", "tekton.dev/v1"},
          {"kind", "TaskRun"},
          {"metadata", metadata},
          {"spec", spec},
          {"status", status}};
}

struct Inputs {
  artifacts::TaskRun task_run;
  artifacts::PipelineRun pipeline_run;
  std::vector<artifacts::TaskRun> children;
};

const Inputs& GetInputs() {
  static const Inputs* inputs = [] {
    auto* in = new Inputs;
    in->task_run = *artifacts::TaskRun::FromJson(TaskRunJson(0, "pr-uid"));
    json tasks = json::array();
    for (int i = 0; i < 50; ++i) {
      tasks.push_back({{"name", absl::StrCat("task-", i)}, {"taskRef", {{"name", "build"}}}});
      in->children.push_back(*artifacts::TaskRun::FromJson(TaskRunJson(i, "pr-uid")));
    }
    json pr = {{"apiVersion", "tekton.dev/v1"},
               {"kind", "PipelineRun"},
               {"metadata", {{"name", "pr"}, {"uid", "pr-uid"}}},
               {"spec", {{"pipelineRef", {{"name", "release"}}}}},
               {"status",
                {{"startTime", "2026-08-21T10:00:00Z"},
                 {"completionTime", "2026-08-21T10:30:00Z"},
                 {"pipelineSpec", {{"tasks", tasks}}},
                 {"results",
                  {{{"name", "IMAGE_URL"}, {"value", "gcr.io/project/app-0"}},
                   {{"name", "IMAGE_DIGEST"}, {"value", "sha256:" + Hex(0)}}}}}}};
    in->pipeline_run = *artifacts::PipelineRun::FromJson(pr);
    return in;
  }();
  return *inputs;
}

FormatOptions Options(int64_t format) {
  FormatOptions options;
  options.format = static_cast<Format>(format);
  options.deep_inspection = true;
  return options;
}

void BM_TaskRunStatement(benchmark::State& state) {
  const Inputs& in = GetInputs();
  FormatOptions options = Options(state.range(0));
  size_t bytes = 0;
  for (auto _ : state) {
    absl::StatusOr<Statement> st = BuildStatement(in.task_run, options);
    if (!st.ok()) state.SkipWithError(std::string(st.status().message()).c_str());
    bytes = st->payload.size();
    benchmark::DoNotOptimize(st);
  }
  state.SetLabel(absl::StrCat(FormatName(options.format), ", ", bytes, " B"));
  state.counters["statements/s"] =
      benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_TaskRunStatement)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMicrosecond);

void BM_PipelineRun50ChildrenDeepInspection(benchmark::State& state) {
  const Inputs& in = GetInputs();
  FormatOptions options = Options(state.range(0));
  size_t bytes = 0;
  size_t subjects = 0;
  for (auto _ : state) {
    absl::StatusOr<Statement> st = BuildStatement(in.pipeline_run, in.children, options);
    if (!st.ok()) state.SkipWithError(std::string(st.status().message()).c_str());
    bytes = st->payload.size();
    subjects = st->subjects.size();
    benchmark::DoNotOptimize(st);
  }
  state.SetLabel(
      absl::StrCat(FormatName(options.format), ", ", subjects, " subjects, ", bytes, " B"));
  state.counters["statements/s"] =
      benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_PipelineRun50ChildrenDeepInspection)
    ->Arg(0)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond);

void BM_ExtractSigningTargets(benchmark::State& state) {
  const Inputs& in = GetInputs();
  for (auto _ : state) {
    auto targets = artifacts::ExtractSigningTargets(in.task_run);
    benchmark::DoNotOptimize(targets);
  }
  state.counters["runs/s"] = benchmark::Counter(state.iterations(), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ExtractSigningTargets)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hallmark::chains::formats

BENCHMARK_MAIN();
