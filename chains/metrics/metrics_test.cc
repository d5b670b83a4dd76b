#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "base/testing/status_matchers.h"
#include "chains/metrics/agent_metrics.h"
#include "chains/metrics/registry.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace hallmark::chains::metrics {
namespace {

using ::hallmark::testing::StatusIs;
using ::testing::HasSubstr;

TEST(RegistryTest, RendersTheTextExpositionFormat) {
  Registry r;
  ASSERT_OK_AND_ASSIGN(Counter * c, r.AddCounter("a_total", "An \"a\"\ncounter"));
  ASSERT_OK_AND_ASSIGN(LabeledCounter * l, r.AddLabeledCounter("b_total", "B", "error_type"));
  ASSERT_OK_AND_ASSIGN(Histogram * h, r.AddHistogram("lat_seconds", "L", {0.1, 1}));
  ASSERT_OK(r.AddGauge("depth", "D", [] { return 7.5; }));
  c->Inc();
  c->Inc(2);
  l->With("storage")->Inc();
  l->With("sign\"ing")->Inc(3);
  h->Observe(0.05);
  h->Observe(0.5);
  h->Observe(5);
  EXPECT_EQ(r.Render(),
            "# HELP a_total An \"a\"\\ncounter\n"
            "# TYPE a_total counter\n"
            "a_total 3\n"
            "# HELP b_total B\n"
            "# TYPE b_total counter\n"
            "b_total{error_type=\"sign\\\"ing\"} 3\n"
            "b_total{error_type=\"storage\"} 1\n"
            "# HELP lat_seconds L\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{le=\"0.1\"} 1\n"
            "lat_seconds_bucket{le=\"1\"} 2\n"
            "lat_seconds_bucket{le=\"+Inf\"} 3\n"
            "lat_seconds_sum 5.55\n"
            "lat_seconds_count 3\n"
            "# HELP depth D\n"
            "# TYPE depth gauge\n"
            "depth 7.5\n");
}

TEST(RegistryTest, RefusesBadAndDuplicateNames) {
  Registry r;
  ASSERT_OK(r.AddCounter("x_total", "x").status());
  EXPECT_THAT(r.AddCounter("x_total", "again").status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate")));
  EXPECT_THAT(r.AddCounter("1x", "x").status(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(r.AddLabeledCounter("y_total", "y", "bad-label").status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(r.AddHistogram("h", "h", {1, 1}).status(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(HistogramTest, QuantileInterpolatesInsideBuckets) {
  Histogram h({0.01, 0.1, 1});
  EXPECT_TRUE(std::isnan(h.Quantile(0.5)));
  for (int i = 0; i < 90; ++i) h.Observe(0.005);
  for (int i = 0; i < 10; ++i) h.Observe(0.05);
  EXPECT_LE(h.Quantile(0.5), 0.01);
  EXPECT_GT(h.Quantile(0.99), 0.01);
  EXPECT_LE(h.Quantile(0.99), 0.1);
}

TEST(CounterTest, ConcurrentIncrementsAllCount) {
  Counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.Inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value(), 40000u);
}

TEST(AgentMetricsTest, HasChainsNamesAndOurs) {
  ASSERT_OK_AND_ASSIGN(auto m, AgentMetrics::New());
  m->taskrun.marked_signed->Inc();
  m->pipelinerun.signing_failures->With(kErrorStorage)->Inc();
  m->SetQueueDepth([] { return 12; });
  std::string text = m->Render();
  for (const char* name :
       {"watcher_taskrun_sign_created_total 0", "watcher_taskrun_payload_uploaded_total 0",
        "watcher_taskrun_payload_stored_total 0", "watcher_taskrun_marked_signed_total 1",
        "# TYPE watcher_taskrun_signing_failures_total counter",
        "watcher_pipelinerun_sign_created_total 0",
        "watcher_pipelinerun_signing_failures_total{error_type=\"storage\"} 1",
        "# TYPE hallmark_run_sign_latency_seconds histogram", "hallmark_queue_depth 12",
        "hallmark_runs_waiting 0", "hallmark_runs_marked_failed_total 0",
        "hallmark_key_loads_total 0", "# TYPE hallmark_kube_requests_total counter",
        "hallmark_registry_requests_total 0"}) {
    EXPECT_THAT(text, HasSubstr(name));
  }
}

}  // namespace
}  // namespace hallmark::chains::metrics
