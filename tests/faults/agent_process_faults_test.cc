// The agent process itself under fire, end to end: SIGTERM in the middle of a burst (exit 0
// within the grace period, and the next process signs the rest: every run signed exactly once),
// and leader fail-over over several trials (two replicas with a Lease; the leader is SIGKILLed;
// the standby signs a run completed at that moment within the lease time; no run is signed by
// two replicas). SIGKILL at random moments over many trials is tests/e2e/agent_crash_test
// (HALLMARK_CRASH_TRIALS; scripts/faults runs it long).
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
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

// Lease timing for the fail-over test (the default is Chains' 15 s / 10 s / 2 s).
constexpr absl::Duration kLeaseDuration = absl::Seconds(3);
constexpr absl::Duration kLeaseRetry = absl::Milliseconds(500);
const std::vector<std::string> kFastLease = {"--leader-elect",
                                             "--lease-duration",
                                             "3s",
                                             "--lease-renew-deadline",
                                             "2s",
                                             "--lease-retry-period",
                                             "500ms"};

absl::Status WaitForReadyz(AgentHarness& h, int index, const std::string& detail) {
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  std::string last;
  while (absl::Now() < deadline) {
    absl::StatusOr<std::pair<int, std::string>> r = h.Readyz(index);
    if (r.ok()) {
      last = r->second;
      if (r->first == 200 && absl::StrContains(r->second, detail)) return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("agent ", index, " never said \"", detail, "\"; last: ", last));
}

int CountSigned(AgentHarness& h, const std::vector<std::string>& runs) {
  int n = 0;
  for (const std::string& run : runs) {
    absl::StatusOr<json> r = h.Get(kube::TaskRunsV1(), run);
    n += r.ok() && Annotation(*r, "chains.tekton.dev/signed") == "true";
  }
  return n;
}

class AgentProcessFaultsTest : public e2e::AgentHarnessTest {};

TEST_F(AgentProcessFaultsTest, SigtermDuringABurstThenTheNextProcessSignsTheRestOnce) {
  Start();
  for (int t = 0; t < Trials(); ++t) {
    std::vector<std::string> images, runs;
    for (int i = 0; i < 20; ++i) {
      ASSERT_OK_AND_ASSIGN(std::string image, h_->PushImage(absl::StrCat("term/app", i % 4),
                                                            absl::StrCat("t", t, "-", i),
                                                            absl::StrCat("term", t, "-", i)));
      images.push_back(image);
      runs.push_back(absl::StrCat("term-", t, "-", i));
    }
    for (int i = 0; i < 20; ++i) {
      ASSERT_OK(
          h_->CompleteTaskRun({.name = runs[i], .results = ImageResults(images[i])}).status());
    }
    // SIGTERM once a few are signed: the rest are in flight or queued.
    absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (CountSigned(*h_, runs) < 3 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(5));
    }
    absl::Time term = absl::Now();
    EXPECT_EQ(h_->StopAgent(), 0);
    absl::Duration stop = absl::Now() - term;
    EXPECT_LT(stop, absl::Seconds(12));  // the harness's --shutdown-grace is 10 s
    int signed_at_stop = CountSigned(*h_, runs);
    ExpectNoSignedWithoutSignatures(*h_, runs, images);

    ASSERT_OK(h_->StartAgent());
    absl::Time restarted = absl::Now();
    for (const std::string& run : runs) {
      ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), run, absl::Seconds(60)).status());
    }
    absl::Duration rest = absl::Now() - restarted;
    for (const std::string& image : images) ExpectSignedExactlyOnce(*h_, image);
    Figure("agent: SIGTERM during a burst of 20 runs, then a new process",
           {{"trial", t},
            {"ms_sigterm_to_exit", Millis(stop)},
            {"signed_at_exit", signed_at_stop},
            {"ms_restart_to_all_signed", Millis(rest)}});
  }
}

// SignedLines: how many "signed" log lines name TaskRun ci/`run`.
int SignedLines(const std::string& logs, const std::string& run) {
  int lines = 0;
  for (absl::string_view line : absl::StrSplit(logs, '\n')) {
    lines += absl::StrContains(line, "\"msg\":\"signed\"") &&
             absl::StrContains(line, absl::StrCat("\"run\":\"TaskRun/ci/", run, "\""));
  }
  return lines;
}

TEST_F(AgentProcessFaultsTest, LeaderKilledTheStandbySignsWithinTheLease) {
  HarnessOptions options;
  options.start_agent = false;
  options.agent_args = kFastLease;
  Start(options);
  int replica = 0;
  ASSERT_OK_AND_ASSIGN(int leader, h_->StartAgentNoWait({"--identity", "replica-0"}));
  ASSERT_OK(WaitForReadyz(*h_, leader, "leading"));
  ASSERT_OK_AND_ASSIGN(int standby,
                       h_->StartAgentNoWait({"--identity", absl::StrCat("replica-", ++replica)}));
  ASSERT_OK(WaitForReadyz(*h_, standby, "standby"));

  std::vector<std::string> images, runs;
  const int trials = Trials(2);
  for (int t = 0; t < trials; ++t) {
    ASSERT_OK_AND_ASSIGN(std::string calm,
                         h_->PushImage("ha/app", absl::StrCat("calm", t), absl::StrCat("calm", t)));
    ASSERT_OK_AND_ASSIGN(std::string during, h_->PushImage("ha/app", absl::StrCat("failover", t),
                                                           absl::StrCat("failover", t)));
    runs.push_back(absl::StrCat("calm-", t));
    images.push_back(calm);
    ASSERT_OK(h_->CompleteTaskRun({.name = runs.back(), .results = ImageResults(calm)}).status());
    ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), runs.back()).status());
    // The leader logs "signed" once the marking patch's answer is back, a moment after the
    // annotation can be seen: kill it only then, or its line is never written.
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (SignedLines(h_->AgentLogs(), runs.back()) == 0 && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }

    h_->KillAgent(leader);  // no release: the standby must wait the lease out
    absl::Time killed = absl::Now();
    runs.push_back(absl::StrCat("failover-", t));
    images.push_back(during);
    ASSERT_OK(h_->CompleteTaskRun({.name = runs.back(), .results = ImageResults(during)}).status());
    ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), runs.back(), absl::Seconds(30)).status());
    absl::Duration failover = absl::Now() - killed;
    EXPECT_LT(failover, kLeaseDuration + 2 * kLeaseRetry + absl::Seconds(2));
    ASSERT_OK(WaitForReadyz(*h_, standby, "leading"));
    Figure("agent: leader SIGKILLed, standby signs (lease 3 s, retry 500 ms)",
           {{"trial", t}, {"ms_kill_to_signed", Millis(failover)}});

    leader = standby;
    ASSERT_OK_AND_ASSIGN(standby,
                         h_->StartAgentNoWait({"--identity", absl::StrCat("replica-", ++replica)}));
    ASSERT_OK(WaitForReadyz(*h_, standby, "standby"));
  }
  // Exactly once: one layer each, and one "signed" log line per run over every replica.
  for (const std::string& image : images) ExpectSignedExactlyOnce(*h_, image);
  const std::string logs = h_->AgentLogs();
  for (const std::string& run : runs) EXPECT_EQ(SignedLines(logs, run), 1) << run;
}

}  // namespace
}  // namespace hallmark::tests::faults
