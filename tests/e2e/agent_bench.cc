// agent_bench: `hallmark agent` (the built binary) against hallmark-apiserver and the real
// docker-registry on this machine.
//
//   BM_AgentBacklog/<runs>/<qps>/<mode>: <runs> completed TaskRuns, each with its own image
//     in the registry, exist before the agent starts (a first roll-out, or a restart after an
//     outage). Time from the agent's start to the last run marked signed; runs/s; the agent's
//     peak RSS and CPU time per run; registry and API requests per run. qps/burst =
//     --kube-api-qps / 2x burst. mode 0: `.sig`/`.att` in the registry (cosign config blobs);
//     1: the same with --oci-config-blob constant; 2: everything in annotations (tekton
//     storage: no registry, what the agent and the API server alone sustain).
//   BM_AgentLightLoad/<runs>/<interval ms>: runs complete one by one (create, then the status
//     patch, as Tekton does) while the agent idles, at the default QPS 50 / burst 100; latency
//     from the status patch's answer to the signed annotation seen on a watch: p50, p99, max.
//
// scripts/bench agent runs it; figures go to docs/benchmarks.md.
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "crypto/digest.h"
#include "kube/kube_client.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "oci/curl_registry_client.h"
#include "oci/media_types.h"
#include "oci/reference.h"
#include "oci/registry_client.h"
#include "tests/e2e/agent_harness.h"

namespace hallmark::tests::e2e {
namespace {

using nlohmann::json;

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "agent_bench: %s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}
template <typename T>
T Check(absl::StatusOr<T> v, const char* what) {
  Check(v.status(), what);
  return *std::move(v);
}

// PushImages: `n` distinct images in <registry>/bench/app (one shared layer and config, a
// manifest per image told apart by an annotation), pushed from 4 threads.
std::vector<std::string> PushImages(AgentHarness& h, int n) {
  auto client = Check(oci::NewCurlRegistryClient(oci::RegistryClientOptions()), "registry client");
  oci::Repository repo{h.registry().host(), "bench/app"};
  std::string layer = "bench layer";
  std::string config =
      R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
  oci::Digest layer_digest = Check(oci::Digest::Parse(crypto::Sha256Digest(layer)), "digest");
  oci::Digest config_digest = Check(oci::Digest::Parse(crypto::Sha256Digest(config)), "digest");
  Check(client->UploadBlob(repo, layer_digest, layer), "layer");
  Check(client->UploadBlob(repo, config_digest, config), "config");
  std::vector<std::string> images(n);
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        json manifest = {{"schemaVersion", 2},
                         {"mediaType", oci::kOciManifestMediaType},
                         {"config",
                          {{"mediaType", oci::kOciConfigMediaType},
                           {"digest", config_digest.String()},
                           {"size", config.size()}}},
                         {"layers",
                          {{{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"},
                            {"digest", layer_digest.String()},
                            {"size", layer.size()}}}},
                         {"annotations", {{"bench", absl::StrCat(i)}}}};
        std::string bytes = manifest.dump();
        oci::Digest d = Check(
            client->PutManifest(repo, absl::StrCat("t", i), bytes, oci::kOciManifestMediaType),
            "manifest");
        images[i] = absl::StrCat(repo.String(), "@", d.String());
      }
    });
  }
  for (std::thread& t : threads) t.join();
  return images;
}

json CompletedTaskRun(const std::string& name, const std::string& image, const std::string& now) {
  return {{"apiVersion", "tekton.dev/v1"},
          {"kind", "TaskRun"},
          {"metadata", {{"name", name}, {"namespace", kRunNamespace}}},
          {"spec", {{"taskRef", {{"name", "build"}}}}},
          {"status",
           {{"conditions", {{{"type", "Succeeded"}, {"status", "True"}, {"reason", "Succeeded"}}}},
            {"startTime", now},
            {"completionTime", now},
            {"results",
             {{{"name", "IMAGE_URL"}, {"value", image.substr(0, image.find('@'))}},
              {{"name", "IMAGE_DIGEST"}, {"value", image.substr(image.find('@') + 1)}}}}}}};
}

// CountLines: lines of `path` containing `needle` (streamed: logs of 10k runs are large).
int64_t CountLines(const std::string& path, const std::string& needle) {
  std::ifstream in(path);
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) n += absl::StrContains(line, needle);
  return n;
}

// RssMib: VmHWM (peak) or VmRSS (now) of process `pid`.
double RssMib(pid_t pid, absl::string_view field) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, field)) {
      double kb = 0;
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (parts.size() >= 2 && absl::SimpleAtod(parts[1], &kb)) return kb / 1024;
    }
  }
  return 0;
}

// CpuMs: user + system CPU time of process `pid` so far.
double CpuMs(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields = absl::StrSplit(text.substr(close + 2), ' ');
  // After the command: state(0) ... utime is field 14 of the whole line, i.e. index 11 here.
  double utime = 0, stime = 0;
  if (fields.size() < 13 || !absl::SimpleAtod(fields[11], &utime) ||
      !absl::SimpleAtod(fields[12], &stime)) {
    return 0;
  }
  return (utime + stime) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// RegistryPid: the docker-registry process serving `h`'s registry (its command line names the
// config file beside the storage folder); 0 if not found.
pid_t RegistryPid(AgentHarness& h) {
  std::string config =
      (std::filesystem::path(h.registry().storage_dir()).parent_path() / "config.yml").string();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::ifstream in(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (absl::StrContains(cmdline, "docker-registry") && absl::StrContains(cmdline, config)) {
      return pid;
    }
  }
  return 0;
}

void RemoveScratch(AgentHarness& h) {
  if (std::getenv("HALLMARK_BENCH_KEEP") != nullptr) {
    std::fprintf(stderr, "agent_bench: kept %s (agent logs), %s, %s\n", h.dir().c_str(),
                 h.api().dir().c_str(), h.registry().storage_dir().c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(std::filesystem::path(h.registry().storage_dir()).parent_path(), ec);
  std::filesystem::remove_all(h.api().dir(), ec);
  std::filesystem::remove_all(h.dir(), ec);
}

void BM_AgentBacklog(benchmark::State& state) {
  const int runs = static_cast<int>(state.range(0));
  const int qps = static_cast<int>(state.range(1));
  const int mode = static_cast<int>(state.range(2));
  for (auto _ : state) {
    HarnessOptions options;
    options.start_agent = false;
    if (mode == 2) {
      options.config = {{"artifacts.taskrun.storage", "tekton"},
                        {"artifacts.oci.storage", "tekton"}};
    }
    auto h = Check(AgentHarness::Start(options), "harness");
    std::vector<std::string> images = PushImages(*h, runs);
    std::string now = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
    for (int start = 0; start < runs; start += 500) {
      json list = {{"apiVersion", "v1"}, {"kind", "List"}, {"items", json::array()}};
      for (int i = start; i < std::min(runs, start + 500); ++i) {
        list["items"].push_back(CompletedTaskRun(absl::StrCat("run-", i), images[i], now));
      }
      Check(h->api().Knob("POST", "/__hallmark/seed", list.dump()).status(), "seed");
    }
    std::string registry_log =
        (std::filesystem::path(h->registry().storage_dir()).parent_path() / "registry.log")
            .string();
    std::vector<std::string> args = {"--threads",        "8",
                                     "--kube-api-qps",   absl::StrCat(qps),
                                     "--kube-api-burst", absl::StrCat(2 * qps),
                                     "--log-level",      "info"};
    if (mode == 1) {
      args.push_back("--oci-config-blob");
      args.push_back("constant");
    }
    pid_t registry_pid = RegistryPid(*h);
    double registry_cpu_before = registry_pid != 0 ? CpuMs(registry_pid) : 0;
    absl::Time t0 = absl::Now();
    int index = Check(h->StartAgentNoWait(args), "agent");
    double marked = 0;
    absl::Time deadline = t0 + absl::Minutes(30);
    while (marked < runs && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
      absl::StatusOr<double> v = h->MetricValue("watcher_taskrun_marked_signed_total", index);
      if (v.ok()) marked = *v;
    }
    absl::Duration elapsed = absl::Now() - t0;
    if (marked < runs) {
      state.SkipWithError("not every run was signed within 30 minutes");
      return;
    }
    // The peak includes the one-time scrypt of cosign.key (32 MiB for the legacy parameters the
    // harness writes, 64 MiB for cosign's current ones); "now" is the steady state.
    double rss = RssMib(h->agent(index)->pid(), "VmHWM:");
    double rss_now = RssMib(h->agent(index)->pid(), "VmRSS:");
    double cpu_ms = CpuMs(h->agent(index)->pid());
    double registry_cpu = registry_pid != 0 ? CpuMs(registry_pid) - registry_cpu_before : 0;
    double registry_requests = *h->MetricValue("hallmark_registry_requests_total", index);
    double api_requests = *h->MetricValue("hallmark_kube_requests_total", index);
    double failures = *h->MetricValue("hallmark_runs_marked_failed_total", index);
    h->StopAgent(index);
    int64_t registry_log_requests = CountLines(registry_log, "\"hallmark-agent\"");
    state.SetIterationTime(absl::ToDoubleSeconds(elapsed));
    state.counters["runs_per_s"] = runs / absl::ToDoubleSeconds(elapsed);
    state.counters["rss_peak_MiB"] = rss;
    state.counters["rss_end_MiB"] = rss_now;
    state.counters["agent_cpu_ms_per_run"] = cpu_ms / runs;
    state.counters["registry_cpu_ms_per_run"] = registry_cpu / runs;
    state.counters["registry_req_per_run"] = registry_requests / runs;
    state.counters["registry_log_req_per_run"] = static_cast<double>(registry_log_requests) / runs;
    state.counters["api_req_per_run"] = api_requests / runs;
    state.counters["failed"] = failures;
    RemoveScratch(*h);
  }
}

void BM_AgentLightLoad(benchmark::State& state) {
  const int runs = static_cast<int>(state.range(0));
  const absl::Duration interval = absl::Milliseconds(state.range(1));
  for (auto _ : state) {
    HarnessOptions options;
    options.start_agent = false;
    auto h = Check(AgentHarness::Start(options), "harness");
    std::vector<std::string> images = PushImages(*h, runs);
    Check(h->StartAgent({"--threads", "2", "--kube-api-qps", "50", "--kube-api-burst", "100",
                         "--log-level", "info"}),
          "agent");
    // Our own watch sees the signed annotation appear.
    absl::Mutex mu;
    std::map<std::string, absl::Time> signed_at;
    absl::Notification stop;
    kube::ObjectList initial = Check(h->kube().List(kube::TaskRunsV1(), kRunNamespace, {}), "list");
    std::thread watcher([&] {
      kube::WatchOptions w;
      w.resource_version = initial.resource_version;
      w.cancel = &stop;
      h->kube()
          .Watch(kube::TaskRunsV1(), kRunNamespace, w,
                 [&](kube::WatchEvent&& e) {
                   absl::Time now = absl::Now();
                   const json& a = e.object["metadata"].value("annotations", json::object());
                   if (a.value("chains.tekton.dev/signed", "") == "true") {
                     absl::MutexLock lock(&mu);
                     signed_at.emplace(kube::MetaName(e.object), now);
                   }
                   return true;
                 })
          .IgnoreError();
    });
    std::map<std::string, absl::Time> completed_at;
    for (int i = 0; i < runs; ++i) {
      std::string name = absl::StrCat("live-", i);
      json run = CompletedTaskRun(name, images[i], "");
      json status = run["status"];
      run.erase("status");
      Check(h->kube().Create(kube::TaskRunsV1(), kRunNamespace, run).status(), "create");
      std::string now = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
      status["startTime"] = now;
      status["completionTime"] = now;
      kube::PatchOptions patch;
      patch.subresource = "status";
      Check(h->kube()
                .Patch(kube::TaskRunsV1(), kRunNamespace, name, kube::PatchType::kMerge,
                       json{{"status", status}}.dump(), patch)
                .status(),
            "status");
      completed_at[name] = absl::Now();
      absl::SleepFor(interval);
    }
    absl::Time deadline = absl::Now() + absl::Minutes(2);
    for (;;) {
      {
        absl::MutexLock lock(&mu);
        if (signed_at.size() >= static_cast<size_t>(runs)) break;
      }
      if (absl::Now() > deadline) {
        state.SkipWithError("not every run was signed");
        stop.Notify();
        watcher.join();
        return;
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    stop.Notify();
    watcher.join();
    std::vector<double> ms;
    for (const auto& [name, done] : completed_at) {
      ms.push_back(absl::ToDoubleMilliseconds(signed_at[name] - done));
    }
    std::sort(ms.begin(), ms.end());
    auto pct = [&ms](double q) {
      return ms[std::min(ms.size() - 1, static_cast<size_t>(q * ms.size()))];
    };
    double api_requests = *h->MetricValue("hallmark_kube_requests_total");
    double registry_requests = *h->MetricValue("hallmark_registry_requests_total");
    state.SetIterationTime(absl::ToDoubleSeconds(absl::Milliseconds(pct(0.5))));
    state.counters["p50_ms"] = pct(0.5);
    state.counters["p99_ms"] = pct(0.99);
    state.counters["max_ms"] = ms.back();
    state.counters["api_req_per_run"] = api_requests / runs;
    state.counters["registry_req_per_run"] = registry_requests / runs;
    h->StopAgent();
    RemoveScratch(*h);
  }
}

BENCHMARK(BM_AgentLightLoad)
    ->Args({100, 200})
    ->Args({200, 50})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AgentBacklog)
    ->Args({1000, 1000, 0})
    ->Args({1000, 1000, 1})
    ->Args({1000, 1000, 2})
    ->Args({10000, 1000, 1})
    ->Args({10000, 1000, 2})
    ->Args({1000, 50, 1})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kSecond);

}  // namespace
}  // namespace hallmark::tests::e2e

int main(int argc, char** argv) {
  // The harness finds the hallmark and hallmark-apiserver binaries through runfiles, as in a test.
  if (std::getenv("TEST_SRCDIR") == nullptr) {
    std::string runfiles = std::string(argv[0]) + ".runfiles";
    setenv("TEST_SRCDIR", runfiles.c_str(), 1);
    setenv("TEST_WORKSPACE", "hallmark", 1);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
