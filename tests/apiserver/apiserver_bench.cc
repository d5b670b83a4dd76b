// Benchmarks of hallmark-apiserver's costs that the agent's 10k-run benchmark leans on: creating
// runs, listing 10k of them, fanning one change out to many watchers, and a merge patch (the
// `signed` annotation) over HTTP. Run: scripts/bench //tests/apiserver:apiserver_bench
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/testing/fixtures.h"
#include "benchmark/benchmark.h"
#include "httplib.h"
#include "nlohmann/json.hpp"
#include "tests/apiserver/engine.h"
#include "tests/apiserver/server.h"

namespace hallmark::tests::apiserver {
namespace {

using json = nlohmann::json;

json TaskRun(int i) {
  // A completed TaskRun the size of Chains' fixtures (~4 KiB of JSON).
  json steps = json::array();
  for (int s = 0; s < 4; ++s) {
    steps.push_back({{"name", absl::StrCat("step-", s)},
                     {"container", absl::StrCat("step-step-", s)},
                     {"imageID",
                      "docker-pullable://gcr.io/test/image@sha256:"
                      "05f95b26ed10668b7183c1e2da98610e91372fa9f510046d4ce5812addad86b5"},
                     {"terminated", {{"exitCode", 0}, {"reason", "Completed"}}}});
  }
  return {
      {"apiVersion", "tekton.dev/v1"},
      {"kind", "TaskRun"},
      {"metadata",
       {{"name", absl::StrCat("run-", i)},
        {"namespace", "default"},
        {"labels",
         {{"tekton.dev/task", "build"}, {"app.kubernetes.io/managed-by", "tekton-pipelines"}}}}},
      {"spec", {{"taskRef", {{"name", "build"}}}, {"serviceAccountName", "default"}}},
      {"status",
       {{"conditions",
         json::array({{{"type", "Succeeded"}, {"status", "True"}, {"reason", "Succeeded"}}})},
        {"podName", absl::StrCat("run-", i, "-pod")},
        {"startTime", "2024-01-01T00:00:00Z"},
        {"completionTime", "2024-01-01T00:01:00Z"},
        {"steps", steps},
        {"results",
         json::array(
             {{{"name", "IMAGE_URL"}, {"value", "gcr.io/test/image"}},
              {{"name", "IMAGE_DIGEST"},
               {"value",
                "sha256:05f95b26ed10668b7183c1e2da98610e91372fa9f510046d4ce5812addad86b5"}}})}}}};
}

std::unique_ptr<ApiEngine> NewEngine() {
  EngineOptions options;
  return std::move(ApiEngine::New(options).value());
}

void BM_CreateTaskRun(benchmark::State& state) {
  auto engine = NewEngine();
  auto reg = engine->registry();
  const ResourceInfo& taskruns = *reg->Find("tekton.dev", "v1", "taskruns");
  int i = 0;
  for (auto _ : state) {
    auto r = engine->Create(taskruns, "default", TaskRun(i++), WriteOptions{});
    if (!r.ok()) state.SkipWithError("create failed");
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CreateTaskRun);

void BM_ListTaskRuns(benchmark::State& state) {
  auto engine = NewEngine();
  auto reg = engine->registry();
  const ResourceInfo& taskruns = *reg->Find("tekton.dev", "v1", "taskruns");
  for (int i = 0; i < state.range(0); ++i) {
    if (!engine->Seed(TaskRun(i)).ok()) state.SkipWithError("seed failed");
  }
  size_t bytes = 0;
  for (auto _ : state) {
    auto list = engine->List(taskruns, "", ListOptions{});
    bytes = list->size();
    benchmark::DoNotOptimize(list);
  }
  state.counters["list_MiB"] = static_cast<double>(bytes) / (1 << 20);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ListTaskRuns)->Arg(10000)->Unit(benchmark::kMillisecond);

// One annotation patch delivered to `watchers` watch streams (each drains its own stream).
void BM_WatchFanout(benchmark::State& state) {
  auto engine = NewEngine();
  auto reg = engine->registry();
  const ResourceInfo& taskruns = *reg->Find("tekton.dev", "v1", "taskruns");
  if (!engine->Seed(TaskRun(0)).ok()) state.SkipWithError("seed failed");
  std::vector<std::unique_ptr<WatchStream>> streams;
  WatchOptions from_now;
  from_now.resource_version = absl::StrCat(engine->store()->Revision());
  for (int w = 0; w < state.range(0); ++w)
    streams.push_back(*engine->Watch(taskruns, "", from_now));
  int n = 0;
  for (auto _ : state) {
    std::string body = absl::StrCat(R"({"metadata":{"annotations":{"n":")", n++, R"("}}})");
    auto r = engine->Patch(taskruns, "default", "run-0", "", "application/merge-patch+json", body,
                           WriteOptions{});
    if (!r.ok()) state.SkipWithError("patch failed");
    for (auto& s : streams) {
      WatchStream::Output out = s->Next(absl::Seconds(1));
      if (out.data.empty()) state.SkipWithError("watcher missed the event");
    }
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_WatchFanout)->Arg(1)->Arg(16)->Arg(64);

void BM_HttpAnnotatePatch(benchmark::State& state) {
  auto server = std::move(ApiServer::New(ServerOptions{}).value());
  if (!server->Start().ok()) state.SkipWithError("start failed");
  if (!server->engine()->Seed(TaskRun(0)).ok()) state.SkipWithError("seed failed");
  httplib::Client client("127.0.0.1", server->port());
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  int n = 0;
  for (auto _ : state) {
    auto r =
        client.Patch("/apis/tekton.dev/v1/namespaces/default/taskruns/run-0",
                     absl::StrCat(R"({"metadata":{"annotations":{"chains.tekton.dev/signed":")",
                                  n++ % 2 ? "true" : "false", R"("}}})"),
                     "application/merge-patch+json");
    if (!r || r->status != 200) state.SkipWithError("patch failed");
  }
  state.SetItemsProcessed(state.iterations());
  server->Stop();
}
BENCHMARK(BM_HttpAnnotatePatch)->UseRealTime();

}  // namespace
}  // namespace hallmark::tests::apiserver
