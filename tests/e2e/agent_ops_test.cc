// End-to-end operations: leader election (one signer, fail-over), graceful SIGTERM (exit 0, the
// Lease released), the namespace filter at the watch, --skip-before and the skip annotation,
// and the metrics/health endpoints.
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kube/kube_client.h"
#include "kube/resource.h"
#include "nlohmann/json.hpp"
#include "tests/e2e/agent_harness.h"
#include "tests/e2e/agent_harness_test_base.h"

namespace hallmark::tests::e2e {
namespace {

using ::hallmark::testing::IsOkAndHolds;
using nlohmann::json;
using ::testing::HasSubstr;

const std::vector<std::string> kFastLease = {"--leader-elect",
                                             "--lease-duration",
                                             "3s",
                                             "--lease-renew-deadline",
                                             "2s",
                                             "--lease-retry-period",
                                             "500ms"};

json ImageResults(const std::string& image) {
  return json::array({{{"name", "IMAGE_URL"}, {"value", image.substr(0, image.find('@'))}},
                      {{"name", "IMAGE_DIGEST"}, {"value", image.substr(image.find('@') + 1)}}});
}

std::string Annotation(const json& run, const std::string& key) {
  json a = run.value("metadata", json::object()).value("annotations", json::object());
  return a.is_object() && a.contains(key) && a[key].is_string() ? a[key].get<std::string>() : "";
}

// WaitForReadyz: until /readyz of agent `index` answers 200 with `detail` in its body.
absl::Status WaitForReadyz(AgentHarness& h, int index, const std::string& detail,
                           absl::Duration timeout = absl::Seconds(20)) {
  absl::Time deadline = absl::Now() + timeout;
  std::string last;
  while (absl::Now() < deadline) {
    absl::StatusOr<std::pair<int, std::string>> r = h.Readyz(index);
    if (r.ok()) {
      last = r->second;
      if (r->first == 200 && absl::StrContains(r->second, detail)) return absl::OkStatus();
    }
    absl::SleepFor(absl::Milliseconds(25));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("agent ", index, " never said \"", detail, "\"; last: ", last));
}

class AgentOpsTest : public AgentHarnessTest {};

TEST_F(AgentOpsTest, OneLeaderSignsAndTheStandbyTakesOverWhenItDies) {
  HarnessOptions options;
  options.start_agent = false;
  options.agent_args = kFastLease;
  Start(options);
  ASSERT_OK_AND_ASSIGN(int first, h_->StartAgentNoWait({"--identity", "replica-a"}));
  ASSERT_OK(WaitForReadyz(*h_, first, "leading"));
  ASSERT_OK_AND_ASSIGN(int second, h_->StartAgentNoWait({"--identity", "replica-b"}));
  ASSERT_OK(WaitForReadyz(*h_, second, "standby"));

  std::vector<std::string> images;
  for (int i = 0; i < 6; ++i) {
    ASSERT_OK_AND_ASSIGN(std::string image,
                         h_->PushImage("ha/app", absl::StrCat("v", i), absl::StrCat("ha", i)));
    images.push_back(image);
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(
        h_->CompleteTaskRun({.name = absl::StrCat("ha-", i), .results = ImageResults(images[i])})
            .status());
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), absl::StrCat("ha-", i)).status());
  }
  EXPECT_THAT(h_->WaitForMetric("watcher_taskrun_marked_signed_total", 3, first), IsOkAndHolds(3));
  EXPECT_THAT(h_->MetricValue("watcher_taskrun_marked_signed_total", second), IsOkAndHolds(0));

  h_->KillAgent(first);  // no release: the standby waits out the lease (3 s)
  for (int i = 3; i < 6; ++i) {
    ASSERT_OK(
        h_->CompleteTaskRun({.name = absl::StrCat("ha-", i), .results = ImageResults(images[i])})
            .status());
  }
  ASSERT_OK(WaitForReadyz(*h_, second, "leading"));
  for (int i = 3; i < 6; ++i) {
    ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), absl::StrCat("ha-", i)).status());
  }
  EXPECT_THAT(h_->WaitForMetric("watcher_taskrun_marked_signed_total", 3, second), IsOkAndHolds(3));
  for (const std::string& image : images) {
    SCOPED_TRACE(image);
    EXPECT_THAT(h_->CountLayers(image, "sig"), IsOkAndHolds(1));
    EXPECT_THAT(h_->CountLayers(image, "att"), IsOkAndHolds(1));
  }
  ASSERT_OK_AND_ASSIGN(json lease,
                       h_->kube().Get(kube::Leases(), kSystemNamespace, "hallmark-agent"));
  EXPECT_EQ(lease["spec"]["holderIdentity"], "replica-b");
}

TEST_F(AgentOpsTest, SigtermFinishesExitsZeroAndReleasesTheLease) {
  HarnessOptions options;
  options.agent_args = kFastLease;
  Start(options);
  ASSERT_OK(WaitForReadyz(*h_, 0, "leading"));
  ASSERT_OK_AND_ASSIGN(std::string image, h_->PushImage("team/app", "v1", "term"));
  ASSERT_OK(h_->CompleteTaskRun({.name = "term", .results = ImageResults(image)}).status());
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "term").status());
  absl::Time start = absl::Now();
  EXPECT_EQ(h_->StopAgent(), 0);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  std::string logs = h_->AgentLogs();
  EXPECT_THAT(logs, HasSubstr("\"msg\":\"shutting down\",\"signal\":\"SIGTERM\""));
  EXPECT_THAT(logs, HasSubstr("\"msg\":\"stopped\""));
  ASSERT_OK_AND_ASSIGN(json lease,
                       h_->kube().Get(kube::Leases(), kSystemNamespace, "hallmark-agent"));
  // Released: no holder, so a successor does not wait out the lease.
  EXPECT_TRUE(!lease["spec"].contains("holderIdentity") || lease["spec"]["holderIdentity"] == "" ||
              lease["spec"]["holderIdentity"].is_null())
      << lease.dump();
}

TEST_F(AgentOpsTest, NamespaceFilterIsAtTheWatch) {
  HarnessOptions options;
  options.agent_args = {"--namespace", kRunNamespace};
  Start(options);
  ASSERT_OK(
      h_->kube()
          .Create(
              kube::Namespaces(), "",
              json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", "other"}}}})
          .status());
  ASSERT_OK_AND_ASSIGN(std::string mine, h_->PushImage("team/mine", "v1", "mine"));
  ASSERT_OK_AND_ASSIGN(std::string theirs, h_->PushImage("team/theirs", "v1", "theirs"));
  ASSERT_OK(
      h_->CompleteTaskRun({.name = "other-run", .ns = "other", .results = ImageResults(theirs)})
          .status());
  ASSERT_OK(h_->CompleteTaskRun({.name = "mine", .results = ImageResults(mine)}).status());
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "mine").status());
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_OK_AND_ASSIGN(json other, h_->Get(kube::TaskRunsV1(), "other-run", "other"));
  EXPECT_EQ(Annotation(other, "chains.tekton.dev/signed"), "");
  EXPECT_THAT(h_->CountLayers(theirs, "sig"), IsOkAndHolds(0));
  // The agent never listed or watched runs cluster-wide.
  ASSERT_OK_AND_ASSIGN(std::vector<json> requests, h_->AgentRequests());
  int namespaced = 0;
  for (const json& r : requests) {
    std::string path = r["path"];
    EXPECT_NE(path, "/apis/tekton.dev/v1/taskruns");
    EXPECT_NE(path, "/apis/tekton.dev/v1/pipelineruns");
    namespaced += path == "/apis/tekton.dev/v1/namespaces/ci/taskruns";
  }
  EXPECT_GE(namespaced, 2);  // list + watch
}

TEST_F(AgentOpsTest, SkipAnnotationAndSkipBeforeLeaveOldRunsAlone) {
  HarnessOptions options;
  options.start_agent = false;
  Start(options);
  ASSERT_OK_AND_ASSIGN(std::string old_image, h_->PushImage("team/app", "old", "old"));
  ASSERT_OK_AND_ASSIGN(std::string skipped_image, h_->PushImage("team/app", "skip", "skip"));
  ASSERT_OK_AND_ASSIGN(std::string new_image, h_->PushImage("team/app", "new", "new"));
  ASSERT_OK(h_->CompleteTaskRun({.name = "old", .results = ImageResults(old_image)}).status());
  absl::SleepFor(absl::Seconds(1.1));  // completionTime has whole seconds
  std::string cutoff = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone());
  ASSERT_OK(h_->StartAgent({"--skip-before", cutoff}));
  ASSERT_OK(h_->CompleteTaskRun({.name = "annotated",
                                 .results = ImageResults(skipped_image),
                                 .annotations = {{"chains.tekton.dev/skip", "true"}}})
                .status());
  ASSERT_OK(h_->CompleteTaskRun({.name = "new", .results = ImageResults(new_image)}).status());
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "new").status());
  absl::SleepFor(absl::Milliseconds(300));
  for (const char* name : {"old", "annotated"}) {
    ASSERT_OK_AND_ASSIGN(json run, h_->Get(kube::TaskRunsV1(), name));
    EXPECT_EQ(Annotation(run, "chains.tekton.dev/signed"), "") << name;
  }
  EXPECT_THAT(h_->CountLayers(old_image, "sig"), IsOkAndHolds(0));
  EXPECT_THAT(h_->CountLayers(skipped_image, "sig"), IsOkAndHolds(0));
}

TEST_F(AgentOpsTest, MetricsAndHealthEndpoints) {
  Start();
  ASSERT_OK_AND_ASSIGN(std::string image, h_->PushImage("team/app", "v1", "metrics"));
  ASSERT_OK(h_->CompleteTaskRun({.name = "m", .results = ImageResults(image)}).status());
  ASSERT_OK(h_->WaitForSigned(kube::TaskRunsV1(), "m").status());
  ASSERT_OK_AND_ASSIGN(std::string text, h_->Metrics());
  for (const char* family :
       {"watcher_taskrun_sign_created_total", "watcher_taskrun_payload_uploaded_total",
        "watcher_taskrun_payload_stored_total", "watcher_taskrun_marked_signed_total",
        "watcher_taskrun_signing_failures_total", "watcher_pipelinerun_sign_created_total",
        "watcher_pipelinerun_payload_stored_total", "watcher_pipelinerun_marked_signed_total",
        "watcher_pipelinerun_signing_failures_total", "hallmark_run_sign_latency_seconds",
        "hallmark_queue_depth", "hallmark_runs_waiting"}) {
    EXPECT_THAT(text, HasSubstr(absl::StrCat("# TYPE ", family, " "))) << family;
  }
  EXPECT_THAT(h_->WaitForMetric("watcher_taskrun_payload_stored_total", 2), IsOkAndHolds(2));
  EXPECT_THAT(h_->WaitForMetric("hallmark_queue_depth", 0), IsOkAndHolds(0));
  ASSERT_OK_AND_ASSIGN(auto ready, h_->Readyz());
  EXPECT_EQ(ready.first, 200);
  EXPECT_THAT(ready.second, HasSubstr("ready: signing"));
}

}  // namespace
}  // namespace hallmark::tests::e2e
