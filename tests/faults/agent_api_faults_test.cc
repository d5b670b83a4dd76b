// The agent against a misbehaving Kubernetes API, end to end with hallmark-apiserver's fault
// knobs and the built `hallmark agent`: 429 storms with Retry-After, a 409 on the first patch of
// EVERY run of a burst, watches dropped and compacted away (410) over and over during a burst,
// the agent's token rotated mid-run, and the API server restarted with its store. After each:
// every run signed exactly once, nothing signed=true without a verifiable signature and
// attestation. (tests/e2e/agent_faults_test covers one 409 pair on one run and a few single
// drops and 410s.)
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/testing/fixtures.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/agent_harness.h"
#include "tests/e2e/agent_harness_test_base.h"
#include "tests/faults/fault_testing.h"

namespace hallmark::tests::faults {
namespace {

using e2e::AgentHarness;
using e2e::HarnessOptions;
using nlohmann::json;

constexpr char kRunPath[] = "/apis/tekton.dev/v1/namespaces/ci/taskruns/";

class AgentApiFaultsTest : public e2e::AgentHarnessTest {
 protected:
  // Fresh: a new harness (API server, registry, agent) for one trial of a scenario that breaks
  // the agent's watches. Its informers back off 0.8 s doubling to 30 s (with jitter), reset only
  // after 2 minutes of health (client-go's reflector): trials in one agent would measure the
  // previous trials' backoff, not their own recovery.
  void Fresh(HarnessOptions options = {}) {
    if (h_ != nullptr) {
      EXPECT_OK(h_->NoSecretsInLogs());
      h_.reset();
    }
    Start(options);
  }
  // Burst: pushes `n` images and completes one run for each; returns the images.
  std::vector<std::string> Burst(const std::string& prefix, int n) {
    std::vector<std::string> images;
    for (int i = 0; i < n; ++i) {
      absl::StatusOr<std::string> image = h_->PushImage(
          absl::StrCat(prefix, "/app", i % 3), absl::StrCat("t", i), absl::StrCat(prefix, i));
      EXPECT_OK(image.status());
      images.push_back(image.ok() ? *image : "");
    }
    for (int i = 0; i < n; ++i) {
      EXPECT_OK(h_->CompleteTaskRun(
                      {.name = absl::StrCat(prefix, "-", i), .results = ImageResults(images[i])})
                    .status());
    }
    return images;
  }
  void ExpectAllSignedOnce(const std::string& prefix, const std::vector<std::string>& images,
                           absl::Duration timeout = absl::Seconds(60)) {
    std::vector<std::string> runs;
    for (size_t i = 0; i < images.size(); ++i) {
      runs.push_back(absl::StrCat(prefix, "-", i));
      ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), runs.back(), timeout).status());
    }
    for (const std::string& image : images) ExpectSignedExactlyOnce(*h_, image);
    ExpectNoSignedWithoutSignatures(*h_, runs, images);
  }
  // AgentCalls: the agent's requests in the request log that satisfy `pred`.
  template <typename Pred>
  std::vector<json> AgentCalls(Pred pred) {
    absl::StatusOr<std::vector<json>> all = h_->AgentRequests();
    EXPECT_OK(all.status());
    std::vector<json> out;
    if (!all.ok()) return out;
    for (json& r : *all) {
      if (pred(r)) out.push_back(std::move(r));
    }
    return out;
  }
};

TEST_F(AgentApiFaultsTest, RateLimitStormOnPatchesAndWatchesIsWaitedOut) {
  for (int t = 0; t < Trials(); ++t) {
    Fresh();
    ASSERT_NE(h_, nullptr);
    const std::string prefix = absl::StrCat("limited", t);
    // Every marking patch of the next burst is refused twice with 429 Retry-After: 1, and the
    // watch is dropped and refused too.
    ASSERT_OK(h_->api()
                  .Knob("POST", "/__hallmark/faults",
                        json{{"path", absl::StrCat(kRunPath, "[^/]+")},
                             {"method", "PATCH"},
                             {"code", 429},
                             {"retryAfter", 1},
                             {"count", 8}}
                            .dump())
                  .status());
    ASSERT_OK(h_->api()
                  .Knob("POST", "/__hallmark/faults",
                        json{{"path", "/apis/tekton.dev/v1/taskruns"},
                             {"verb", "watch"},
                             {"code", 429},
                             {"retryAfter", 1},
                             {"count", 2}}
                            .dump())
                  .status());
    ASSERT_OK(h_->api().Knob("POST", "/__hallmark/drop-watches", "").status());
    absl::Time start = absl::Now();
    std::vector<std::string> images = Burst(prefix, 4);
    ExpectAllSignedOnce(prefix, images);
    absl::Duration took = absl::Now() - start;

    std::vector<json> limited = AgentCalls([](const json& r) { return r["status"] == 429; });
    EXPECT_GE(limited.size(), 8u);
    Figure("api: 429 Retry-After 1 on 8 marking patches and 2 watches, 4 runs",
           {{"trial", t}, {"ms_to_all_signed", Millis(took)}, {"agent_429s", limited.size()}});
    ASSERT_OK(h_->api().Knob("DELETE", "/__hallmark/faults", "").status());
  }
}

TEST_F(AgentApiFaultsTest, ConflictOnTheFirstPatchOfEveryRunOfABurst) {
  Start();
  for (int t = 0; t < Trials(); ++t) {
    const std::string prefix = absl::StrCat("conflict", t);
    const int n = 8;
    for (int i = 0; i < n; ++i) {
      ASSERT_OK(h_->api()
                    .Knob("POST", "/__hallmark/faults",
                          json{{"path", absl::StrCat(kRunPath, prefix, "-", i)},
                               {"method", "PATCH"},
                               {"code", 409},
                               {"count", 1}}
                              .dump())
                    .status());
    }
    absl::Time start = absl::Now();
    std::vector<std::string> images = Burst(prefix, n);
    ExpectAllSignedOnce(prefix, images);
    absl::Duration took = absl::Now() - start;
    int patches = 0;
    for (int i = 0; i < n; ++i) {
      const std::string path = absl::StrCat(kRunPath, prefix, "-", i);
      std::vector<json> calls =
          AgentCalls([&](const json& r) { return r["path"] == path && r["method"] == "PATCH"; });
      ASSERT_EQ(calls.size(), 2u) << path;  // the conflict, then the re-read run's patch
      EXPECT_EQ(calls[0]["status"], 409);
      EXPECT_EQ(calls[1]["status"], 200);
      patches += static_cast<int>(calls.size());
    }
    Figure("api: 409 on the first marking patch of each of 8 runs",
           {{"trial", t}, {"ms_to_all_signed", Millis(took)}, {"patches", patches}});
  }
}

TEST_F(AgentApiFaultsTest, WatchDropAnd410StormDuringABurstLosesNothing) {
  for (int t = 0; t < Trials(); ++t) {
    Fresh();
    ASSERT_NE(h_, nullptr);
    const std::string prefix = absl::StrCat("storm", t);
    std::atomic<bool> stop{false};
    std::atomic<int> storms{0};
    std::thread storm([&] {
      int i = 0;
      while (!stop) {
        // Alternate: compact (everything before now is 410 Gone) with an abrupt drop, a clean
        // drop, and 410 as an HTTP status instead of an ERROR event.
        if (i % 3 == 0) (void)h_->api().Knob("POST", "/__hallmark/compact", "");
        if (i % 6 == 3) {
          (void)h_->api().Knob("PUT", "/__hallmark/watch-settings", R"({"expiredAs": "http"})");
        }
        if (i % 6 == 0) {
          (void)h_->api().Knob("PUT", "/__hallmark/watch-settings", R"({"expiredAs": "event"})");
        }
        (void)h_->api().Knob(
            "POST", i % 2 == 0 ? "/__hallmark/drop-watches?abrupt=1" : "/__hallmark/drop-watches",
            "");
        ++storms;
        ++i;
        absl::SleepFor(absl::Milliseconds(40));
      }
    });
    absl::Time start = absl::Now();
    std::vector<std::string> images = Burst(prefix, 16);
    absl::SleepFor(absl::Seconds(1));
    stop = true;
    storm.join();
    ExpectAllSignedOnce(prefix, images);
    absl::Duration took = absl::Now() - start;
    int relists = 0;
    for (absl::string_view line : absl::StrSplit(h_->AgentLogs(), '\n')) {
      relists += absl::StrContains(line, "relisting");
    }
    EXPECT_GT(relists, 0);
    Figure("api: watches dropped and compacted (410) every 40 ms during 16 runs",
           {{"trial", t},
            {"ms_to_all_signed", Millis(took)},
            {"drops", storms.load()},
            {"relists_logged", relists}});
  }
}

TEST_F(AgentApiFaultsTest, TokenRotatedMidRunIsPickedUpFromTheFile) {
  HarnessOptions options;
  options.agent_token = "agent-token-generation-0";
  Start(options);
  ASSERT_OK_AND_ASSIGN(std::string first, h_->PushImage("team/app", "v0", "token0"));
  ASSERT_OK(h_->CompleteTaskRun({.name = "token-0", .results = ImageResults(first)}).status());
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "token-0").status());
  std::vector<std::string> tokens = {options.agent_token};
  for (int t = 1; t <= Trials(); ++t) {
    ASSERT_OK_AND_ASSIGN(std::string image,
                         h_->PushImage("team/app", absl::StrCat("v", t), absl::StrCat("token", t)));
    tokens.push_back(absl::StrCat("agent-token-generation-", t));
    ASSERT_OK(h_->RotateAgentToken(tokens.back()));
    absl::Time rotated = absl::Now();
    ASSERT_OK(
        h_->CompleteTaskRun({.name = absl::StrCat("token-", t), .results = ImageResults(image)})
            .status());
    ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), absl::StrCat("token-", t), absl::Seconds(60))
                  .status());
    absl::Duration recovery = absl::Now() - rotated;
    ExpectSignedExactlyOnce(*h_, image);
    Figure("api: the agent's bearer token rotated (file rewritten, old token refused)",
           {{"trial", t}, {"ms_rotation_to_signed", Millis(recovery)}});
  }
  ExpectSignedExactlyOnce(*h_, first);
  // The old tokens were refused at least once (the watch), and never logged.
  std::vector<json> refused = AgentCalls([](const json& r) { return r["status"] == 401; });
  EXPECT_GE(refused.size(), 1u);
  std::string logs = h_->AgentLogs();
  for (const std::string& token : tokens) EXPECT_FALSE(absl::StrContains(logs, token)) << token;
}

TEST_F(AgentApiFaultsTest, ApiServerRestartedWithItsStoreLosesNoRun) {
  for (int t = 0; t < Trials(); ++t) {
    HarnessOptions options;
    options.apiserver_args = {"--data", ::hallmark::testing::TempDir() + "/apiserver-store.json"};
    Fresh(options);
    ASSERT_NE(h_, nullptr);
    const std::string before = absl::StrCat("before", t), after = absl::StrCat("after", t);
    std::vector<std::string> early = Burst(before, 6);
    // Restart at once: some runs are signed, some are being signed, some not seen yet.
    absl::Time stop = absl::Now();
    ASSERT_OK(h_->RestartApiserver());
    absl::Duration downtime = absl::Now() - stop;
    std::vector<std::string> late = Burst(after, 6);
    ExpectAllSignedOnce(before, early);
    ExpectAllSignedOnce(after, late);
    absl::Duration took = absl::Now() - stop;
    Figure("api: server restarted (SIGTERM, store kept with --data) during 12 runs",
           {{"trial", t},
            {"ms_restart", Millis(downtime)},
            {"ms_restart_to_all_signed", Millis(took)}});
  }
  EXPECT_TRUE(h_->AgentRunning());
}

}  // namespace
}  // namespace hallmark::tests::faults
