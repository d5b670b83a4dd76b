// Benchmarks of the Kubernetes client against the real hallmark-apiserver (started on a free
// loopback port; client and server share the machine's CPUs):
//  - BM_WatchThroughput: events/s of a watch from resourceVersion 0 over N stored TaskRuns of
//    realistic size (~3 KB: conditions, steps with imageIDs, results, a resolved taskSpec): the
//    server's synthetic ADDED stream, chunked HTTP, line splitting, JSON parsing, delivery.
//  - BM_InformerSync: a cluster-wide informer's paged LIST (500 per page) + WATCH start over N
//    runs, until HasSynced.
//  - BM_InformerMemory: heap bytes per cached run (glibc mallinfo2 before/after, after the list
//    buffers are gone) with the agent-style projection, next to keeping the parsed JSON objects
//    (what an informer caching whole objects holds).
// Run: scripts/bench //kube:kube_bench
#include <malloc.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "base/file.h"
#include "base/testing/process.h"
#include "benchmark/benchmark.h"
#include "kube/http_kube_client.h"
#include "kube/informer.h"
#include "kube/internal/json.h"
#include "kube/pager.h"
#include "net/curl_http_client.h"

namespace hallmark::kube {
namespace {

std::string ApiServerPath() {
  for (const char* env : {"TEST_SRCDIR", "RUNFILES_DIR"}) {
    if (const char* dir = std::getenv(env)) {
      std::string p = absl::StrCat(dir, "/hallmark/tests/apiserver/hallmark-apiserver");
      if (FileExists(p)) return p;
    }
  }
  // `bazel run` starts us in the runfiles tree of the workspace.
  if (FileExists("tests/apiserver/hallmark-apiserver")) return "tests/apiserver/hallmark-apiserver";
  return "bin/hallmark-apiserver";
}

nlohmann::json RealisticRun(int i) {
  std::string name = absl::StrCat("build-", i);
  nlohmann::json steps = nlohmann::json::array();
  nlohmann::json spec_steps = nlohmann::json::array();
  for (const char* step : {"prepare", "build-and-push", "write-digest"}) {
    steps.push_back({{"name", step},
                     {"container", absl::StrCat("step-", step)},
                     {"imageID",
                      "docker-pullable://gcr.io/tekton-releases/github.com/tektoncd/pipeline/"
                      "cmd/git-init@sha256:"
                      "c0b0ed1cd81090ce8eecf60b936e9345089d9dfdb6ebdd2fd7b4a0341ef4f2b9"},
                     {"terminated",
                      {{"exitCode", 0},
                       {"reason", "Completed"},
                       {"startedAt", "2026-01-01T00:00:00Z"},
                       {"finishedAt", "2026-01-01T00:01:00Z"},
                       {"containerID", "containerd://8a8b9e6f8e0c4c1f9a6b0d7e5c3a2b1f"}}}});
    spec_steps.push_back({{"name", step},
                          {"image", "gcr.io/kaniko-project/executor:v1.23.0"},
                          {"script",
                           "#!/bin/sh\nset -e\n/kaniko/executor --dockerfile=Dockerfile "
                           "--context=/workspace/source --destination=$(params.IMAGE)\n"}});
  }
  return {
      {"apiVersion", "tekton.dev/v1"},
      {"kind", "TaskRun"},
      {"metadata",
       {{"name", name},
        {"namespace", "ci"},
        {"labels",
         {{"app.kubernetes.io/managed-by", "tekton-pipelines"},
          {"tekton.dev/pipelineRun", "release"},
          {"tekton.dev/pipelineTask", "build"},
          {"tekton.dev/task", "kaniko"}}},
        {"annotations", {{"pipeline.tekton.dev/release", "v0.60.0"}}}}},
      {"spec",
       {{"taskRef", {{"name", "kaniko"}, {"kind", "Task"}}},
        {"params", {{{"name", "IMAGE"}, {"value", "registry.local/app:" + name}}}},
        {"serviceAccountName", "default"},
        {"timeout", "1h0m0s"}}},
      {"status",
       {{"conditions",
         {{{"type", "Succeeded"},
           {"status", "True"},
           {"reason", "Succeeded"},
           {"message", "All Steps have completed executing"},
           {"lastTransitionTime", "2026-01-01T00:01:00Z"}}}},
        {"podName", name + "-pod"},
        {"startTime", "2026-01-01T00:00:00Z"},
        {"completionTime", "2026-01-01T00:01:00Z"},
        {"steps", steps},
        {"results",
         {{{"name", "IMAGE_URL"}, {"type", "string"}, {"value", "registry.local/app:" + name}},
          {{"name", "IMAGE_DIGEST"},
           {"type", "string"},
           {"value", "sha256:05f95b26ed10668b7183c1e2da98610e91372fa9f510046d4ce5812addad86b5"}}}},
        {"taskSpec",
         {{"params", {{{"name", "IMAGE"}, {"type", "string"}}}}, {"steps", spec_steps}}},
        {"provenance",
         {{"featureFlags",
           {{"enableAPIFields", "beta"}, {"resultExtractionMethod", "termination-message"}}}}}}}};
}

// Server: hallmark-apiserver holding `n` runs in namespace "ci".
class Server {
 public:
  static std::unique_ptr<Server> Start(int n) {
    auto s = std::unique_ptr<Server>(new Server());
    char dir_template[] = "/tmp/hallmark-kube-bench-XXXXXX";
    if (::mkdtemp(dir_template) == nullptr) return nullptr;
    s->dir_ = dir_template;
    absl::StatusOr<std::unique_ptr<testing::BackgroundProcess>> p =
        testing::BackgroundProcess::Start(
            {ApiServerPath(), "--listen", "127.0.0.1:0", "--history-events", "200000"},
            s->dir_ + "/apiserver.log");
    if (!p.ok() || !(*p)->WaitForOutput("listening on ", absl::Seconds(20)).ok()) return nullptr;
    s->process_ = *std::move(p);
    std::string log = s->process_->Log();
    std::string url = log.substr(log.find("listening on ") + 13);
    s->url_ = std::string(absl::StripAsciiWhitespace(url.substr(0, url.find('\n'))));
    Config config;
    config.server = s->url_;
    ClientOptions fast;
    fast.qps = 1e5;
    fast.burst = 100000;
    auto client = HttpKubeClient::New(config, fast);
    if (!client.ok()) return nullptr;
    (void)(*client)->Create(Namespaces(), "", {{"metadata", {{"name", "ci"}}}});
    // Seed requests of 1000 runs (a List each) instead of n creates.
    auto http = net::CurlHttpClient::New();
    if (!http.ok()) return nullptr;
    size_t total_bytes = 0;
    for (int start = 0; start < n; start += 1000) {
      nlohmann::json list = {
          {"apiVersion", "v1"}, {"kind", "List"}, {"items", nlohmann::json::array()}};
      for (int i = start; i < std::min(n, start + 1000); ++i) {
        list["items"].push_back(RealisticRun(i));
      }
      std::string body = internal::Dump(list);
      total_bytes += body.size();
      net::HttpRequest req;
      req.method = net::Method::kPost;
      req.url = s->url_ + "/__hallmark/seed";
      req.headers.Add("Content-Type", "application/json");
      req.body = body;
      req.timeout = absl::Minutes(5);
      auto resp = (*http)->Do(req);
      if (!resp.ok() || !resp->ok()) {
        std::fprintf(stderr, "seeding failed: %s\n",
                     resp.ok() ? absl::StrCat("HTTP ", resp->status, " ", resp->body).c_str()
                               : std::string(resp.status().message()).c_str());
        return nullptr;
      }
    }
    s->object_bytes_ = total_bytes / std::max(1, n);
    return s;
  }
  ~Server() {
    if (process_) process_->Stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  const std::string& url() const { return url_; }
  size_t object_bytes() const { return object_bytes_; }

  std::unique_ptr<HttpKubeClient> Client() const {
    Config config;
    config.server = url_;
    ClientOptions o;
    o.max_response_bytes = 256 << 20;
    auto client = HttpKubeClient::New(config, o);
    return client.ok() ? *std::move(client) : nullptr;
  }

 private:
  Server() = default;
  std::string dir_, url_;
  size_t object_bytes_ = 0;
  std::unique_ptr<testing::BackgroundProcess> process_;
};

void BM_WatchThroughput(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto server = Server::Start(n);
  if (server == nullptr) {
    state.SkipWithError("hallmark-apiserver did not start");
    return;
  }
  auto client = server->Client();
  int64_t events = 0;
  for (auto _ : state) {
    int got = 0;
    WatchOptions o;
    o.resource_version = "0";
    absl::Status s = client->Watch(TaskRunsV1(), "ci", o, [&](WatchEvent&& e) {
      benchmark::DoNotOptimize(e.object);
      return ++got < n;
    });
    if (!s.ok() || got != n) {
      state.SkipWithError(absl::StrCat("watch: ", s.ToString(), " got ", got).c_str());
      return;
    }
    events += got;
  }
  state.SetItemsProcessed(events);
  state.SetBytesProcessed(events * static_cast<int64_t>(server->object_bytes()));
  state.counters["object_bytes"] = static_cast<double>(server->object_bytes());
}
BENCHMARK(BM_WatchThroughput)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();

struct RunInfo {
  std::string ns, name, uid, resource_version, creation_timestamp, completion_time;
  char succeeded = '?';  // 'T', 'F', 'U', '?' (no condition)
  std::vector<std::pair<std::string, std::string>> chains_annotations;
  std::vector<std::string> owner_uids;
  std::vector<std::string> child_names;
};

absl::StatusOr<RunInfo> ProjectRun(const nlohmann::json& o) {
  RunInfo r;
  const nlohmann::json* meta = internal::Child(o, "metadata");
  if (meta == nullptr) return absl::InvalidArgumentError("no metadata");
  r.ns = internal::StringAt(*meta, "namespace");
  r.name = internal::StringAt(*meta, "name");
  r.uid = internal::StringAt(*meta, "uid");
  r.resource_version = internal::StringAt(*meta, "resourceVersion");
  r.creation_timestamp = internal::StringAt(*meta, "creationTimestamp");
  if (const nlohmann::json* ann = internal::Child(*meta, "annotations"); ann && ann->is_object()) {
    for (const auto& [k, v] : ann->items()) {
      if (absl::StartsWith(k, "chains.tekton.dev/") && v.is_string()) {
        r.chains_annotations.emplace_back(k, v.get<std::string>());
      }
    }
  }
  if (const nlohmann::json* owners = internal::Child(*meta, "ownerReferences");
      owners && owners->is_array()) {
    for (const auto& ref : *owners) r.owner_uids.push_back(internal::StringAt(ref, "uid"));
  }
  if (const nlohmann::json* status = internal::Child(o, "status")) {
    r.completion_time = internal::StringAt(*status, "completionTime");
    if (const nlohmann::json* conds = internal::Child(*status, "conditions");
        conds && conds->is_array()) {
      for (const auto& c : *conds) {
        if (internal::StringAt(c, "type") == "Succeeded") {
          std::string s = internal::StringAt(c, "status");
          r.succeeded = s.empty() ? '?' : s[0];
        }
      }
    }
    if (const nlohmann::json* kids = internal::Child(*status, "childReferences");
        kids && kids->is_array()) {
      for (const auto& k : *kids) r.child_names.push_back(internal::StringAt(k, "name"));
    }
  }
  r.chains_annotations.shrink_to_fit();
  return r;
}

size_t HeapInUse() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

void BM_InformerSync(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto server = Server::Start(n);
  if (server == nullptr) {
    state.SkipWithError("hallmark-apiserver did not start");
    return;
  }
  auto client = server->Client();
  for (auto _ : state) {
    InformerOptions o;
    o.resource = TaskRunsV1();
    auto informer = Informer<RunInfo>::New(*client, o, ProjectRun, {});
    if (!informer.ok() || !(*informer)->Start().ok() ||
        !(*informer)->WaitForSync(absl::Minutes(2)) ||
        (*informer)->Size() != static_cast<size_t>(n)) {
      state.SkipWithError("informer did not sync");
      return;
    }
    state.PauseTiming();
    (*informer)->Stop();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_InformerSync)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(3);

void BM_InformerMemory(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  auto server = Server::Start(n);
  if (server == nullptr) {
    state.SkipWithError("hallmark-apiserver did not start");
    return;
  }
  auto client = server->Client();
  double projected = 0, whole = 0;
  for (auto _ : state) {
    malloc_trim(0);
    size_t before = HeapInUse();
    InformerOptions o;
    o.resource = TaskRunsV1();
    auto informer = Informer<RunInfo>::New(*client, o, ProjectRun, {});
    if (!informer.ok() || !(*informer)->Start().ok() ||
        !(*informer)->WaitForSync(absl::Minutes(2))) {
      state.SkipWithError("informer did not sync");
      return;
    }
    absl::SleepFor(absl::Milliseconds(200));  // the last page's buffers are released
    size_t after = HeapInUse();
    projected = static_cast<double>(after - before) / n;

    // The same objects kept as parsed JSON (what caching whole objects costs).
    absl::StatusOr<ObjectList> list = ListAllObjects(*client, TaskRunsV1(), "ci");
    if (!list.ok()) {
      state.SkipWithError("list failed");
      return;
    }
    size_t with_json = HeapInUse();
    list->items.shrink_to_fit();
    whole = static_cast<double>(with_json - after) / n;
    (*informer)->Stop();
  }
  state.counters["projected_bytes_per_run"] = projected;
  state.counters["json_bytes_per_run"] = whole;
  state.counters["wire_bytes_per_run"] = static_cast<double>(server->object_bytes());
}
BENCHMARK(BM_InformerMemory)->Arg(10000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hallmark::kube

BENCHMARK_MAIN();
