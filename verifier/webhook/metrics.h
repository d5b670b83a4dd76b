// File: verifier/webhook/metrics.h
//
// The webhook's Prometheus metrics (text exposition format 0.0.4), kept in process:
//   hallmark_webhook_admissions_total{path="mutate|validate",decision="allowed|denied|error"}
//   hallmark_webhook_admission_duration_seconds{path} (histogram, 1 ms .. 10 s)
//   hallmark_webhook_verify_cache_hits_total / _misses_total / _coalesced_total (from the cache)
//   hallmark_webhook_policies (loaded), hallmark_webhook_policy_errors_total (refused at load)
//   hallmark_webhook_budget_exceeded_total, hallmark_webhook_rejected_requests_total{reason}
// Thread-safe.
#ifndef HALLMARK_VERIFIER_WEBHOOK_METRICS_H_
#define HALLMARK_VERIFIER_WEBHOOK_METRICS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace hallmark::verifier::webhook {

class Metrics {
 public:
  // Upper bounds (seconds) of the latency histogram buckets.
  static constexpr std::array<double, 13> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                                      0.25,  0.5,    1,     2.5,  5,     10};

  void RecordAdmission(const std::string& path, const std::string& decision,
                       absl::Duration latency);
  void RecordRejected(const std::string& reason);  // bad requests (415, 400, 413, overload)
  void RecordBudgetExceeded();
  void SetPolicies(int64_t loaded);
  void RecordPolicyError();

  // Extra gauges/counters computed when scraped (the cache's stats).
  using Collector = std::function<std::string()>;
  void AddCollector(Collector collector);

  // Render: the exposition text.
  std::string Render() const;

  uint64_t Admissions(const std::string& path, const std::string& decision) const;

 private:
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, uint64_t> admissions_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Histogram> latency_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, uint64_t> rejected_ ABSL_GUARDED_BY(mu_);
  uint64_t budget_exceeded_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t policies_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t policy_errors_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Collector> collectors_ ABSL_GUARDED_BY(mu_);
};

}  // namespace hallmark::verifier::webhook

#endif  // HALLMARK_VERIFIER_WEBHOOK_METRICS_H_
