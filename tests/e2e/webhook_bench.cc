// The admission webhook under load, driven from THIS process over loopback HTTPS (libcurl,
// keep-alive connections, one per client thread) against `hallmark webhook` running as its own
// process, with Debian's docker-registry holding a signed image:
//   warm        - the verification cache answers (one registry verification at start);
//   cold        - --cache-size 0: every AdmissionReview resolves the tag and fetches and verifies
//                 the signature from the real registry (3 registry round trips + ECDSA verify);
//   unreachable - the registry accepts connections but never answers: every request must still
//                 be answered (denied) within the 8 s budget of a 10 s webhook timeout.
// Each benchmark sends `requests` AdmissionReviews from `clients` threads and reports
// reviews/s and latency percentiles (p50, p99, max) as counters.
//
//   scripts/bench webhook     (bazel run -c opt //tests/e2e:webhook_bench)
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "base/testing/fixtures.h"
#include "benchmark/benchmark.h"
#include "crypto/private_key.h"
#include "nlohmann/json.hpp"
#include "oci/curl_registry_client.h"
#include "tests/e2e/webhook_harness.h"
#include "tests/registry/registry_server.h"
#include "verifier/policy/testing/signing.h"

namespace hallmark::tests::e2e {
namespace {

using json = nlohmann::json;

std::string Review(const std::string& image, int n) {
  json r = {{"apiVersion", "admission.k8s.io/v1"},
            {"kind", "AdmissionReview"},
            {"request",
             {{"uid", absl::StrCat("00000000-0000-0000-0000-", n)},
              {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
              {"resource", {{"group", ""}, {"version", "v1"}, {"resource", "pods"}}},
              {"namespace", "bench"},
              {"name", absl::StrCat("pod-", n)},
              {"operation", "CREATE"},
              {"userInfo", {{"username", "bench"}}},
              {"object",
               {{"apiVersion", "v1"},
                {"kind", "Pod"},
                {"metadata", {{"name", absl::StrCat("pod-", n)}, {"namespace", "bench"}}},
                {"spec", {{"containers", json::array({{{"name", "app"}, {"image", image}}})}}}}}}}};
  return r.dump();
}

// A TCP listener that never accepts: connections complete in the kernel's backlog and then
// nothing is ever answered (a hung registry).
class BlackHole {
 public:
  BlackHole() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    listen(fd_, 1024);
    socklen_t len = sizeof(a);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~BlackHole() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

struct World {
  World() {
    dir = hallmark::testing::TempDir();
    auto reg = registry::RegistryServer::Start();
    if (!reg.ok()) Die(reg.status());
    registry = *std::move(reg);
    auto image = registry->PushImage("bench/app", "v1");
    if (!image.ok()) Die(image.status());
    key = std::make_unique<crypto::PrivateKey>(
        *crypto::PrivateKey::Generate(crypto::KeyType::kEcdsaP256));
    auto client = oci::NewCurlRegistryClient({});
    if (!client.ok()) Die(client.status());
    oci::Repository repo{registry->host(), "bench/app"};
    auto sig = verifier::policy::testing::SignatureLayer(*key, repo.String(), image->digest);
    absl::Status pushed = verifier::policy::testing::PushAttachments(
        **client, repo, image->digest, verifier::AttachmentKind::kSignatures, {*sig});
    if (!pushed.ok()) Die(pushed);
    signed_image = registry->host() + "/bench/app:v1";
    hung_image = absl::StrCat("127.0.0.1:", hole.port(), "/bench/app:v1");
    auto tls_or = MakeWebhookTls(dir);
    if (!tls_or.ok()) Die(tls_or.status());
    tls = *tls_or;
    hallmark::testing::WriteFileOrDie(dir + "/policy.yaml", KeyPolicyYaml("bench", key->public_key().Pem()));
    warm = Start({"--policy", dir + "/policy.yaml"}, "warm");
    cold = Start({"--policy", dir + "/policy.yaml", "--cache-size", "0"}, "cold");
    hung = Start({"--policy", dir + "/policy.yaml", "--budget", "8s"}, "hung");
  }

  std::unique_ptr<WebhookProcess> Start(const std::vector<std::string>& args,
                                        const std::string& name) {
    std::string d = dir + "/" + name;
    hallmark::testing::RunCommand({"mkdir", "-p", d}).IgnoreError();
    auto p = WebhookProcess::Start(args, tls, d);
    if (!p.ok()) Die(p.status());
    return *std::move(p);
  }

  [[noreturn]] static void Die(const absl::Status& s) {
    std::fprintf(stderr, "webhook_bench set-up failed: %s\n", std::string(s.message()).c_str());
    std::exit(1);
  }

  std::string dir;
  BlackHole hole;
  std::unique_ptr<registry::RegistryServer> registry;
  std::unique_ptr<crypto::PrivateKey> key;
  WebhookTls tls;
  std::string signed_image, hung_image;
  std::unique_ptr<WebhookProcess> warm, cold, hung;
};

World& TheWorld() {
  static World* w = new World();
  return *w;
}

// Sends `requests` reviews of `image` from `clients` threads; reports throughput and latency.
void Drive(benchmark::State& state, WebhookProcess& webhook, const std::string& image,
           bool expect_allowed) {
  const int clients = static_cast<int>(state.range(0));
  const int requests = static_cast<int>(state.range(1));
  std::vector<std::string> bodies;
  for (int i = 0; i < requests; ++i) bodies.push_back(Review(image, i));
  // Warm-up: one request per client (connections, TLS sessions; the cache for `warm`).
  for (int i = 0; i < clients; ++i) webhook.Post("/mutate", bodies[0]).IgnoreError();
  for (auto _ : state) {
    std::vector<std::vector<double>> latencies(clients);
    std::atomic<int> next{0}, wrong{0};
    absl::Time start = absl::Now();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        for (int i = next++; i < requests; i = next++) {
          absl::Time t0 = absl::Now();
          absl::StatusOr<std::string> reply = webhook.Post("/mutate", bodies[i]);
          latencies[c].push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
          bool allowed = reply.ok() && reply->find("\"allowed\":true") != std::string::npos;
          if (allowed != expect_allowed) ++wrong;
        }
      });
    }
    for (std::thread& t : threads) t.join();
    double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    state.SetIterationTime(seconds);
    std::vector<double> all;
    for (auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) {
      return all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))];
    };
    state.counters["reviews_per_s"] = requests / seconds;
    state.counters["p50_ms"] = pct(0.50);
    state.counters["p99_ms"] = pct(0.99);
    state.counters["max_ms"] = all.back();
    state.counters["wrong_answers"] = wrong.load();
  }
}

void BM_Warm(benchmark::State& state) {
  World& w = TheWorld();
  Drive(state, *w.warm, w.signed_image, true);
}
void BM_Cold(benchmark::State& state) {
  World& w = TheWorld();
  Drive(state, *w.cold, w.signed_image, true);
}
void BM_UnreachableRegistry(benchmark::State& state) {
  World& w = TheWorld();
  Drive(state, *w.hung, w.hung_image, false);
}

BENCHMARK(BM_Warm)
    ->ArgNames({"clients", "requests"})
    ->Args({1, 2000})
    ->Args({8, 4000})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Cold)
    ->ArgNames({"clients", "requests"})
    ->Args({1, 300})
    ->Args({8, 600})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_UnreachableRegistry)
    ->ArgNames({"clients", "requests"})
    ->Args({8, 8})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hallmark::tests::e2e

int main(int argc, char** argv) {
  // `bazel run` does not set the test runfiles variables the harness uses.
  if (std::getenv("TEST_SRCDIR") == nullptr) {
    std::string runfiles = std::string(argv[0]) + ".runfiles";
    if (const char* dir = std::getenv("RUNFILES_DIR")) runfiles = dir;
    setenv("TEST_SRCDIR", runfiles.c_str(), 1);
    setenv("TEST_WORKSPACE", "hallmark", 1);
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
